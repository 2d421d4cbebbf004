// One of two files that define the implementation entry points (see CMakeLists.txt): must not link.
#include <mutiny/impl/builtin.hpp>

int main() { return 0; }

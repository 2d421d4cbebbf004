// The second file that defines the implementation entry points (see CMakeLists.txt).
#include <mutiny/impl/builtin.hpp>

// Compiled use of an installed Mutiny: the kernels come from mutiny::compiled (libmutiny.a).
#include <mutiny/mutiny.hpp>

#include <iostream>

int main() {
    if (!mutiny::Registry::instance().find("Conv")) return 1;
    std::cout << mutiny::version_string() << '\n';
    return 0;
}

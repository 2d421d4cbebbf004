// Header-only use of an installed Mutiny: this file carries the compiled part.
#define MUTINY_IMPLEMENTATION
#include <mutiny/mutiny.hpp>

#include <iostream>

int main() {
    if (!mutiny::Registry::instance().find("Conv")) return 1;
    std::cout << mutiny::version_string() << '\n';
    return 0;
}

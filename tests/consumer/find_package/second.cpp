// A second file that defines MUTINY_IMPLEMENTATION (with main.cpp, one too many): must not link.
#define MUTINY_IMPLEMENTATION
#include <mutiny/mutiny.hpp>

int second_file() { return mutiny::Registry::instance().find("Relu") ? 0 : 1; }

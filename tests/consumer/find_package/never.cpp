// Uses the op registry without defining MUTINY_IMPLEMENTATION and without mutiny::compiled: the
// link must fail, naming the fix.
#include <mutiny/mutiny.hpp>

int main() { return mutiny::Registry::instance().find("Conv") ? 0 : 1; }

// The one doctest main shared by every test executable: it is compiled once (an object library), so
// editing a test file recompiles that file only. A run in which a test skipped for missing data
// (tests/support/data.hpp) and none failed exits with 77, which ctest reports as Skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "support/data.hpp"

int main(int argc, char** argv) {
    doctest::Context context(argc, argv);
    const int failed = context.run();
    if (failed != 0 || context.shouldExit()) return failed;
    return mutiny_test::skipped_count() > 0 ? mutiny_test::kSkipExitCode : 0;
}

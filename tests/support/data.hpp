// Where the tests' data lives, and "data or skip": a test whose data set (or OpenCL device) is
// missing reports itself SKIPPED to ctest instead of passing green, or fails when the data is
// required (CI). No Mutiny header here: main.cpp, shared by every test executable including the
// single-header one, includes this file.
#ifndef MUTINY_TESTS_SUPPORT_DATA_HPP_
#define MUTINY_TESTS_SUPPORT_DATA_HPP_

#include <filesystem>
#include <string>

namespace mutiny_test {

namespace fs = std::filesystem;

// The exit code main() returns when a test was skipped and none failed; ctest's SKIP_RETURN_CODE
// (tests/CMakeLists.txt). A text match (SKIP_REGULAR_EXPRESSION) would also hide a failure of
// another test case of the same file, an exit code cannot.
constexpr int kSkipExitCode = 77;

// ../shared/data next to the repository (CMake cache variable MUTINY_SHARED_DATA_DIR), unless the
// environment variable MUTINY_SHARED_DATA names another folder at run time.
fs::path shared_data();
// The source tree (models/, tests/fixtures/).
fs::path source_dir();
// Debian's dataset-fashion-mnist, where open_dataset("fashion-mnist...") reads it: the environment
// variable MUTINY_FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist.
fs::path fashion_mnist_dir();

// Whether a missing data set fails the test: CMake option MUTINY_REQUIRE_DATA, overridable at run
// time by the environment variable MUTINY_REQUIRE_DATA (1 or 0).
bool data_required();

// The current test cannot run without `what` (a path, a device). Prints "SKIPPED: <what>" and
// counts the skip (main() then exits with kSkipExitCode), or, when data is required, fails the test
// with a message naming `what`. The caller returns from the test case.
void missing(const std::string& what);
// How many times missing() skipped in this run.
int skipped_count();

// True when `p` exists; else missing(p, and `why` when given: where it comes from) and false.
bool have(const fs::path& p, const std::string& why = "");

}  // namespace mutiny_test

// Returns from the current test case (skipped or failed, see missing()) when `path` is absent;
// `why` (optional) says where it comes from, e.g. which package installs it.
#define MUTINY_DATA_OR_SKIP(...)                                  \
    do {                                                          \
        if (!::mutiny_test::have(__VA_ARGS__)) return;            \
    } while (0)

// The same for the Fashion-MNIST data set (open_dataset("fashion-mnist...")).
#define MUTINY_FASHION_MNIST_OR_SKIP() \
    MUTINY_DATA_OR_SKIP(::mutiny_test::fashion_mnist_dir(), "Debian's dataset-fashion-mnist, or MUTINY_FASHION_MNIST_DIR")

#endif  // MUTINY_TESTS_SUPPORT_DATA_HPP_

// The data location and the skip bookkeeping declared in data.hpp. The build passes
// MUTINY_SHARED_DATA_DIR, MUTINY_SOURCE_DIR and MUTINY_REQUIRE_DATA to this file only, so changing
// them recompiles one file.
#include "data.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#ifndef MUTINY_SHARED_DATA_DIR
#error "the build defines MUTINY_SHARED_DATA_DIR (tests/CMakeLists.txt)"
#endif
#ifndef MUTINY_SOURCE_DIR
#error "the build defines MUTINY_SOURCE_DIR (tests/CMakeLists.txt)"
#endif
#ifndef MUTINY_REQUIRE_DATA
#define MUTINY_REQUIRE_DATA 0
#endif

namespace mutiny_test {

namespace {
std::atomic<int> skips{0};
}  // namespace

fs::path shared_data() {
    const char* env = std::getenv("MUTINY_SHARED_DATA");
    return (env && *env) ? fs::path(env) : fs::path(MUTINY_SHARED_DATA_DIR);
}

fs::path source_dir() { return fs::path(MUTINY_SOURCE_DIR); }

fs::path fashion_mnist_dir() {
    // The same rule as include/mutiny/io/dataset.hpp.
    const char* env = std::getenv("MUTINY_FASHION_MNIST_DIR");
    return (env && *env) ? fs::path(env) : fs::path("/usr/share/datasets/fashion-mnist");
}

bool data_required() {
    const char* env = std::getenv("MUTINY_REQUIRE_DATA");
    if (env && *env) return std::string(env) != "0" && std::string(env) != "OFF";
    return MUTINY_REQUIRE_DATA != 0;
}

void missing(const std::string& what) {
    if (data_required()) {
        FAIL_CHECK("missing: " << what << " (MUTINY_REQUIRE_DATA is on: a missing data set or device fails instead of skipping)");
        return;
    }
    ++skips;
    // On stdout, which ctest keeps: `ctest -V` and the test log show what was skipped and why.
    const auto* test = doctest::getContextOptions()->currentTest;
    std::cout << "SKIPPED: " << what;
    if (test) std::cout << " (test case '" << test->m_name << "')";
    std::cout << std::endl;
}

int skipped_count() { return skips.load(); }

bool have(const fs::path& p, const std::string& why) {
    if (fs::exists(p)) return true;
    missing(p.string() + " is absent" + (why.empty() ? "" : " (" + why + ")"));
    return false;
}

}  // namespace mutiny_test

// The one include of the test files' shared helpers: the data location and "data or skip"
// (data.hpp), and error_of, the message of the mutiny::Error a call throws, with contains to check it.
#ifndef MUTINY_TESTS_SUPPORT_HPP_
#define MUTINY_TESTS_SUPPORT_HPP_

#include <doctest/doctest.h>

#include <mutiny/core/error.hpp>

#include <string>

#include "data.hpp"

namespace mutiny_test {

// Whether `text` (an error message) contains `part`.
inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The message (what()) of the mutiny::Error that f throws. A call that throws nothing fails the
// check (and gives ""); any other exception escapes to doctest, which reports it.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const mutiny::Error& e) {
        return e.what();
    }
    FAIL_CHECK("expected a mutiny::Error, nothing was thrown");
    return {};
}

}  // namespace mutiny_test

// The names the test files used when the build passed the paths as string literals; they now read
// the run-time location (MUTINY_SHARED_DATA in the environment overrides the built-in one).
#define MUTINY_SHARED_DATA (::mutiny_test::shared_data().string())
#define MUTINY_SOURCE_DIR (::mutiny_test::source_dir().string())

#endif  // MUTINY_TESTS_SUPPORT_HPP_

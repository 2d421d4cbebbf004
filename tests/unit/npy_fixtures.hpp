// Helpers of the NumPy-data tests (test_npy.cpp, test_npz_data.cpp): where the fixtures NumPy wrote
// live (tests/fixtures/npy/, tools/make_npy_fixtures.py) and a tensor's values as a vector.
#ifndef MUTINY_TESTS_UNIT_NPY_FIXTURES_HPP_
#define MUTINY_TESTS_UNIT_NPY_FIXTURES_HPP_

#include <mutiny/core/tensor.hpp>

#include <string>
#include <vector>

#include "support/support.hpp"

namespace npy_fixtures {

inline std::string fixture(const std::string& name) { return (mutiny_test::source_dir() / "tests/fixtures/npy" / name).string(); }

template <class T>
std::vector<T> values(const mutiny::Tensor& t) {
    const T* p = t.data<T>();
    return std::vector<T>(p, p + t.numel());
}

}  // namespace npy_fixtures

#endif  // MUTINY_TESTS_UNIT_NPY_FIXTURES_HPP_

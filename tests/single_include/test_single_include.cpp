// Builds against single_include/ alone (tests/CMakeLists.txt gives no other Mutiny include path), so
// the amalgamated header must be self-contained and must be the amalgamated one.
#define MUTINY_IMPLEMENTATION  // this file carries the compiled part (header-only use)
#include <mutiny/mutiny.hpp>

#include <doctest/doctest.h>

#include <string>

#ifndef MUTINY_AMALGAMATED
#error "expected single_include/mutiny/mutiny.hpp (MUTINY_AMALGAMATED undefined): wrong include path"
#endif

TEST_CASE("single include: version matches the CMake project version") {
    CHECK(std::string(mutiny::version_string()) == MUTINY_EXPECTED_VERSION);
    CHECK(std::string(mutiny::version_string()) == "0.1.0");
}

TEST_CASE("single include: Error composes what, where and why") {
    const mutiny::Error e("a", "b", "c");
    CHECK(std::string(e.what()) == "a at b: c");
    CHECK(e.where_part() == "b");
}

TEST_CASE("single include: the implementation defined here registers the ops and runs them") {
    // This file defines MUTINY_IMPLEMENTATION, so the op kernels come from the single header itself.
    CHECK(mutiny::Registry::instance().find("Conv") != nullptr);
    CHECK(mutiny::MutationRegistry::instance().find_operator("NEB") != nullptr);
    mutiny::GraphBuilder b("relu");
    b.input("x", mutiny::DType::f32, mutiny::Shape{4});
    b.output(b.node("Relu", {"x"}));
    mutiny::CpuExecutor ex(b.build());
    mutiny::Tensor in(mutiny::DType::f32, mutiny::Shape{4});
    const float v[4] = {-1.5f, 0.0f, 2.0f, -0.0f};
    for (int i = 0; i < 4; ++i) in.data<float>()[i] = v[i];
    const mutiny::Tensor out = ex.run({in})[0];
    CHECK(out.data<float>()[0] == 0.0f);
    CHECK(out.data<float>()[2] == 2.0f);
}

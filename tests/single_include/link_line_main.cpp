// Built by tests/cmake/run_link_line.cmake with exactly the link line README.md gives for the single
// header: if the line lacks a library the header needs, this does not link.
#define MUTINY_IMPLEMENTATION
#include <mutiny/mutiny.hpp>

#include <cstdio>

int main() {
    // A model built in code and run: the op registry, the executor (oneTBB) and the data helpers.
    mutiny::GraphBuilder b("relu");
    b.output(b.node("Relu", {b.input("x", mutiny::DType::f32, mutiny::Shape{3})}));
    mutiny::CpuExecutor ex(b.build());
    mutiny::Tensor x(mutiny::DType::f32, mutiny::Shape{3});
    x.data<float>()[0] = -1;
    x.data<float>()[1] = 0;
    x.data<float>()[2] = 2;
    const mutiny::Tensor y = ex.run({x})[0];
    std::printf("mutiny %s relu: %g %g %g\n", mutiny::version_string(), y.data<float>()[0], y.data<float>()[1], y.data<float>()[2]);
    return y.data<float>()[0] == 0 && y.data<float>()[2] == 2 ? 0 : 1;
}

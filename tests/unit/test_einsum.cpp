// Einsum: values from ONNX's reference implementation (onnx 1.23, onnx.reference on one-node
// models: numpy.einsum), through the GEMM path (two f32 operands forming a batched matrix
// product) and the direct loop (diagonals, sums, broadcast ellipsis, f64, integers), bad
// equations, and bitwise equality across thread counts. The snippet, abridged:
//   rng = np.random.default_rng(3)
//   A = np.round(rng.uniform(-1, 1, (2, 2, 3)), 3).astype(np.float32); B likewise (2, 3, 2)
//   ReferenceEvaluator(model_of(make_node("Einsum", ["a", "b"], ["y"], equation=eq))).run(...)
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <string>
#include <vector>

using namespace mutiny;
using namespace one_node;

namespace {

Attributes eq(const char* e) {
    Attributes a;
    a.set_string("equation", e);
    return a;
}
const Tensor kA = f32(Shape{2, 2, 3}, {-0.829f, -0.526f, 0.603f, 0.164f, -0.812f, -0.134f, -0.042f, -0.681f, 0.469f, -0.773f, -0.218f, 0.033f});
const Tensor kB = f32(Shape{2, 3, 2}, {-0.139f, 0.174f, 0.476f, 0.913f, -0.432f, 0.297f, 0.392f, -0.415f, -0.997f, 0.947f, -0.403f, -0.372f});

}  // namespace

TEST_CASE("Einsum through the GEMM: batch matmul, permuted output, two contracted indices") {
    check_f32(run1({"Einsum", {kA, kB}, eq("bij,bjk->bik")}), Shape{2, 2, 2},
              {-0.39564103f, -0.44539303f, -0.35142f, -0.752618f, 0.47348598f, -0.801945f, -0.09896902f, 0.102073f}, 1e-6);
    check_f32(run1({"Einsum", {kA, kB}, eq("bij,bjk->kbi")}), Shape{2, 2, 2},
              {-0.39564103f, -0.35142f, 0.47348598f, -0.09896902f, -0.44539303f, -0.752618f, -0.801945f, 0.102073f}, 1e-6);
    check_f32(run1({"Einsum", {kA, kB}, eq("bij,bjk->ik")}), Shape{2, 2}, {0.077844955f, -1.247338f, -0.450389f, -0.650545f}, 1e-6);
    // Implicit output: the letters used once, sorted ("ij,jk" -> "ik").
    const Tensor d = iota(Shape{3, 3});
    const Tensor d2 = f32(Shape{3, 2}, {0, 1, 3, 4, 6, 7});
    check_f32(run1({"Einsum", {d, d2}, eq("ij,jk")}), Shape{3, 2}, {15, 18, 42, 54, 69, 90});
    // Inner product to a scalar, spaces ignored.
    check_f32(run1({"Einsum", {f32(Shape{3}, {1, 2, 3}), f32(Shape{3}, {4, 5, 6})}, eq("i, i")}), Shape{}, {32});
}

TEST_CASE("Einsum direct loop: diagonals, sums, ellipsis broadcast, other dtypes") {
    const Tensor d = iota(Shape{3, 3});
    check_f32(run1({"Einsum", {d}, eq("ii->i")}), Shape{3}, {0, 4, 8});
    check_f32(run1({"Einsum", {d}, eq("ii")}), Shape{}, {12});
    check_f32(run1({"Einsum", {d}, eq("ij->i")}), Shape{3}, {3, 12, 21});
    check_f32(run1({"Einsum", {d}, eq("ij->ji")}), Shape{3, 3}, {0, 3, 6, 1, 4, 7, 2, 5, 8});
    check_f32(run1({"Einsum", {iota(Shape{2, 3, 3})}, eq("...ii->...i")}), Shape{2, 3}, {0, 4, 8, 9, 13, 17});
    // "...ij,...jk": [1, 3, 2] x [2, 2, 2], the ellipsis axis broadcast from 1 to 2.
    const Tensor f = iota(Shape{1, 3, 2}, 0, 0.5f);
    check_f32(run1({"Einsum", {f, iota(Shape{2, 2, 2})}, eq("...ij,...jk")}), Shape{2, 3, 2},
              {1, 1.5f, 3, 5.5f, 5, 9.5f, 3, 3.5f, 13, 15.5f, 23, 27.5f});
    // Three operands.
    const Tensor v = f32(Shape{3}, {1, 2, 3});
    check_f32(run1({"Einsum", {v, d, v}, eq("i,ij,j->")}), Shape{}, {192});  // sum_ij v_i d_ij v_j
    const Tensor di = Tensor::from_vector<double>(Shape{2, 2}, {1.5, 2, 3, 4});
    const Tensor yd = run1({"Einsum", {di, di}, eq("ij,jk->ik")});
    CHECK(yd.dtype() == DType::f64);
    CHECK(yd.to_vector<double>() == std::vector<double>{8.25, 11, 16.5, 22});
    const Tensor yi = run1({"Einsum", {i64(Shape{2, 2}, {1, 2, 3, 4})}, eq("ij->j")});
    CHECK(yi.to_vector<int64_t>() == std::vector<int64_t>{4, 6});
}

TEST_CASE("Einsum is bitwise identical for 1 and 2 threads") {
    const Tensor a = random_tensor(Shape{3, 37, 41}, 1), b = random_tensor(Shape{3, 41, 29}, 2);
    for (const char* e : {"bij,bjk->bik", "bij,bjk->kib", "bij,bkj->bik", "bii->bi", "bij->j"}) {
        INFO(e);
        const std::string s(e);
        const Op o{"Einsum", s == "bij,bkj->bik" ? std::vector<Tensor>{a, random_tensor(Shape{3, 29, 41}, 3)}
                             : s.find(',') == std::string::npos ? std::vector<Tensor>{random_tensor(Shape{3, 17, 17}, 4)}
                                                               : std::vector<Tensor>{a, b},
                   eq(e)};
        CHECK(run1(o, {}, 1).bitwise_equal(run1(o, {}, 2)));
    }
}

TEST_CASE("Einsum errors") {
    const Tensor d = iota(Shape{3, 3});
    check_error({"Einsum", {d}, eq("ij,jk->ik")}, "has 2 operand terms, 1 inputs given");
    check_error({"Einsum", {d, iota(Shape{4, 2})}, eq("ij,jk->ik")}, "Einsum index of inconsistent size");
    check_error({"Einsum", {d}, eq("ijk->i")}, "names 3 axes for an operand of rank 2");
    check_error({"Einsum", {d}, eq("ij->ik")}, "output index 'k' names no input axis");
    check_error({"Einsum", {d}, eq("ij->ii")}, "output index 'i' repeated");
    check_error({"Einsum", {d}, eq("i1->i")}, "character '1'");
    check_error({"Einsum", {d}, Attributes{}}, "missing attribute 'equation'");
    check_error({"Einsum", {d, i64(Shape{3}, {1, 2, 3})}, eq("ij,j->i")}, "Einsum input dtypes differ");
}

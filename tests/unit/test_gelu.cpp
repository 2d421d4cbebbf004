// Gelu (opset 20), exact and tanh-approximated, against ONNX's ReferenceEvaluator (onnx 1.23):
//   x = np.array([-3, -1.5, -0.5, -1e-3, 0, 0.25, 0.7, 1, 2.5, 4], np.float32)
//   ReferenceEvaluator(model with Gelu(x, approximate=ap) at opset 20).run(None, {"x": x})
// (torch's dynamo exporter writes GELU as this op from opset 20; the ViT of the exporter set
// runs it against ONNX Runtime.)
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <vector>

using namespace mutiny;
using namespace one_node;

namespace {
const Tensor kX = f32(Shape{10}, {-3, -1.5f, -0.5f, -1e-3f, 0, 0.25f, 0.7f, 1, 2.5f, 4});
Attributes approx(const char* a) {
    Attributes at;
    at.set_string("approximate", a);
    return at;
}
}  // namespace

TEST_CASE("Gelu matches ONNX's reference, exact and tanh-approximated") {
    check_f32(run1({"Gelu", {kX}}), Shape{10},
              {-0.00404968858f, -0.100210771f, -0.154268771f, -0.000499601068f, 0, 0.149676576f, 0.530625463f, 0.841344714f,
               2.48447585f, 3.99987316f});
    check_f32(run1({"Gelu", {kX}, approx("none")}), Shape{10},
              {-0.00404968858f, -0.100210771f, -0.154268771f, -0.000499601068f, 0, 0.149676576f, 0.530625463f, 0.841344714f,
               2.48447585f, 3.99987316f});
    check_f32(run1({"Gelu", {kX}, approx("tanh")}), Shape{10},
              {-0.00363734365f, -0.100428432f, -0.154285997f, -0.000499601068f, 0, 0.149675354f, 0.530570149f, 0.841192007f,
               2.48491573f, 3.9999299f});
}

TEST_CASE("Gelu refuses an unknown approximation and integer inputs") {
    check_error({"Gelu", {kX}, approx("erf")}, "unknown Gelu approximate 'erf'");
    check_error({"Gelu", {i64v({1, 2})}}, "Gelu");
}

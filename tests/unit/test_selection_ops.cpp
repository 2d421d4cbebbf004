// NonMaxSuppression, Unique and TfIdfVectorizer: values from ONNX's reference implementation
// (onnx 1.23, onnx.reference.ReferenceEvaluator on one-node models), bad input, and the constant
// inputs the data-dependent output shapes need. The snippets, abridged:
//   boxes = [[[0,0,1,1],[0,.1,1,1.1],[0,-.1,1,.9],[0,10,1,11],[0,10.1,1,11.1],[0,100,1,101]]]
//   scores = [[[.9,.75,.6,.95,.5,.3],[.1,.8,.85,.2,.9,.6]]]
//   NonMaxSuppression(boxes, scores, [2], [.5], [.4]) -> [[0,0,3],[0,0,0],[0,1,4],[0,1,2]]
//   Unique([2,1,1,3,4,3], sorted=0) -> [2,1,3,4], [0,1,3,4], [0,1,1,2,3,2], [1,2,2,1]
//   Unique(same, sorted=1)          -> [1,2,3,4], [1,0,3,4], [1,0,0,2,3,2], [2,1,2,1]
//   TfIdfVectorizer([[1,1,3,3,3,7],[8,6,7,5,6,8]] int32, TFIDF, n 1..2, skip 2,
//                   ngram_counts [0,4], pool [2,3,5,4, 5,6, 7,8, 6,7], weights [.5,1.5,2,1,3,.25,4])
//                   -> [[0,4.5,0,0,0,0,0],[0,0,2,0,3,.25,4]]
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <string>
#include <vector>

using namespace mutiny;
using namespace one_node;

namespace {

std::vector<int64_t> ints(const Tensor& t) { return t.to_vector<int64_t>(); }
const Tensor kBoxes = f32(Shape{1, 6, 4}, {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, -0.1f, 1, 0.9f, 0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100, 1, 101});
const Tensor kScores = f32(Shape{1, 2, 6}, {0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f, 0.1f, 0.8f, 0.85f, 0.2f, 0.9f, 0.6f});
Tensor f32s(float v) { return f32(Shape{1}, {v}); }

Attributes tfidf_attrs(const char* mode, int64_t min_n, int64_t max_n, int64_t skip) {
    Attributes a;
    a.set_string("mode", mode);
    a.set_int("min_gram_length", min_n);
    a.set_int("max_gram_length", max_n);
    a.set_int("max_skip_count", skip);
    a.set_ints("ngram_counts", {0, 4});
    a.set_ints("ngram_indexes", {0, 1, 2, 3, 4, 5, 6});
    a.set_ints("pool_int64s", {2, 3, 5, 4, 5, 6, 7, 8, 6, 7});
    a.set_floats("weights", {0.5, 1.5, 2.0, 1.0, 3.0, 0.25, 4.0});
    return a;
}

}  // namespace

TEST_CASE("NonMaxSuppression (onnx.reference)") {
    const Tensor y = run1({"NonMaxSuppression", {kBoxes, kScores, i64v({2}), f32s(0.5f), f32s(0.4f)}});
    REQUIRE(y.dtype() == DType::i64);
    CHECK(y.shape() == Shape{4, 3});
    CHECK(ints(y) == std::vector<int64_t>{0, 0, 3, 0, 0, 0, 0, 1, 4, 0, 1, 2});
    // center_point_box 1, no score threshold: [[0,0,3],[0,0,0]].
    const Tensor cb = f32(Shape{1, 4, 4}, {0.5f, 0.5f, 1, 1, 0.6f, 0.5f, 1, 1, 0.5f, 0.4f, 1, 1, 10.5f, 0.5f, 1, 1});
    const Tensor cs = f32(Shape{1, 1, 4}, {0.9f, 0.75f, 0.6f, 0.95f});
    Attributes c;
    c.set_int("center_point_box", 1);
    CHECK(ints(run1({"NonMaxSuppression", {cb, cs, i64v({3}), f32s(0.5f)}, c})) == std::vector<int64_t>{0, 0, 3, 0, 0, 0});
    // max_output_boxes_per_class absent: no box (its default 0 in the ONNX spec; onnx.reference
    // fails on the absent input instead).
    CHECK(run1({"NonMaxSuppression", {kBoxes, kScores}}).shape() == Shape{0, 3});
    // Two batches, max 1 (onnx.reference): [[0,0,3],[0,1,4],[1,0,3],[1,1,4]].
    std::vector<float> b2 = kBoxes.to_vector<float>(), s2 = kScores.to_vector<float>();
    b2.insert(b2.end(), b2.begin(), b2.end());
    s2.insert(s2.end(), s2.begin(), s2.end());
    const Tensor y2 = run1({"NonMaxSuppression", {f32(Shape{2, 6, 4}, b2), f32(Shape{2, 2, 6}, s2), i64v({1}), f32s(0.5f), f32s(0.4f)}});
    CHECK(ints(y2) == std::vector<int64_t>{0, 0, 3, 0, 1, 4, 1, 0, 3, 1, 1, 4});
}

TEST_CASE("NonMaxSuppression errors") {
    check_error({"NonMaxSuppression", {f32(Shape{1, 6, 3}, std::vector<float>(18)), kScores, i64v({2})}}, "boxes must have shape [batches, boxes, 4]");
    check_error({"NonMaxSuppression", {kBoxes, f32(Shape{1, 2, 5}, std::vector<float>(10)), i64v({2})}}, "scores must have shape [batches, classes, boxes]");
    check_error({"NonMaxSuppression", {kBoxes, kScores, i64v({2}), f32s(1.5f)}}, "iou_threshold out of range");
    check_error({"NonMaxSuppression", {kBoxes, kScores, i64v({2, 3})}}, "max_output_boxes_per_class must hold one element");
    check_error({"NonMaxSuppression", {kBoxes, kScores, f32s(2)}}, "unsupported NonMaxSuppression max_output_boxes_per_class dtype");
    Attributes c;
    c.set_int("center_point_box", 2);
    check_error({"NonMaxSuppression", {kBoxes, kScores, i64v({2})}, c}, "attribute 'center_point_box' out of range");
    Op fed{"NonMaxSuppression", {kBoxes, kScores, i64v({2})}};
    fed.runtime = {true, false, false};
    check_data_dependent(fed);
}

TEST_CASE("Unique, sorted and not, with and without axis (onnx.reference)") {
    const Tensor x = f32(Shape{6}, {2, 1, 1, 3, 4, 3});
    Attributes s0;
    s0.set_int("sorted", 0);
    const auto u0 = run({"Unique", {x}, s0, 4});
    check_f32(u0[0], Shape{4}, {2, 1, 3, 4});
    CHECK(ints(u0[1]) == std::vector<int64_t>{0, 1, 3, 4});
    CHECK(ints(u0[2]) == std::vector<int64_t>{0, 1, 1, 2, 3, 2});
    CHECK(ints(u0[3]) == std::vector<int64_t>{1, 2, 2, 1});
    const auto u1 = run({"Unique", {x}, Attributes{}, 4});
    check_f32(u1[0], Shape{4}, {1, 2, 3, 4});
    CHECK(ints(u1[1]) == std::vector<int64_t>{1, 0, 3, 4});
    CHECK(ints(u1[2]) == std::vector<int64_t>{1, 0, 0, 2, 3, 2});
    CHECK(ints(u1[3]) == std::vector<int64_t>{2, 1, 2, 1});
    // Rows of a 4x3 matrix (axis 0), compared lexicographically:
    // x = [[1,2,1],[0,5,0],[1,2,1],[0,5,7]] -> Y = [[0,5,0],[0,5,7],[1,2,1]], [1,3,0], [2,0,2,1], [1,1,2].
    const Tensor m = f32(Shape{4, 3}, {1, 2, 1, 0, 5, 0, 1, 2, 1, 0, 5, 7});
    Attributes ax;
    ax.set_int("axis", 0);
    const auto ua = run({"Unique", {m}, ax, 4});
    check_f32(ua[0], Shape{3, 3}, {0, 5, 0, 0, 5, 7, 1, 2, 1});
    CHECK(ints(ua[1]) == std::vector<int64_t>{1, 3, 0});
    CHECK(ints(ua[2]) == std::vector<int64_t>{2, 0, 2, 1});
    CHECK(ints(ua[3]) == std::vector<int64_t>{1, 1, 2});
    // The same along axis -1 of the transpose: columns.
    const Tensor mt = f32(Shape{3, 4}, {1, 0, 1, 0, 2, 5, 2, 5, 1, 0, 1, 7});
    ax.set_int("axis", -1);
    const auto ut = run({"Unique", {mt}, ax, 2});
    check_f32(ut[0], Shape{3, 3}, {0, 0, 1, 5, 5, 2, 0, 7, 1});
    CHECK(ints(ut[1]) == std::vector<int64_t>{1, 3, 0});
    // Integers, one output.
    const Tensor xi = i64v({5, -1, 5, 7});
    CHECK(ints(run1({"Unique", {xi}})) == std::vector<int64_t>{-1, 5, 7});
}

TEST_CASE("Unique errors") {
    Attributes ax;
    ax.set_int("axis", 2);
    check_error({"Unique", {f32(Shape{2, 2}, {1, 2, 3, 4})}, ax}, "attribute 'axis' out of range");
    Attributes s;
    s.set_int("sorted", 3);
    check_error({"Unique", {f32(Shape{2}, {1, 2})}, s}, "attribute 'sorted' out of range");
    Op fed{"Unique", {f32(Shape{2}, {1, 2})}};
    fed.runtime = {true};
    check_data_dependent(fed);
}

TEST_CASE("TfIdfVectorizer TF, IDF, TFIDF with skips (onnx.reference)") {
    const Tensor x = Tensor::from_vector<int32_t>(Shape{2, 6}, {1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8});
    check_f32(run1({"TfIdfVectorizer", {x}, tfidf_attrs("TFIDF", 1, 2, 2)}), Shape{2, 7}, {0, 4.5f, 0, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0.25f, 4});
    // IDF with weights, bigrams only, skip 1: [0,0,0,0,3,0,4].
    const Tensor x1 = i64v({1, 1, 3, 3, 3, 7, 5, 6, 7, 5, 6, 8});
    check_f32(run1({"TfIdfVectorizer", {x1}, tfidf_attrs("IDF", 2, 2, 1)}), Shape{7}, {0, 0, 0, 0, 3, 0, 4});
    // TF counts: (5,6) twice at distance 1; (7,8) needs distance 3, beyond skip 1.
    check_f32(run1({"TfIdfVectorizer", {x1}, tfidf_attrs("TF", 2, 2, 1)}), Shape{7}, {0, 0, 0, 0, 2, 0, 1});
    check_f32(run1({"TfIdfVectorizer", {x1}, tfidf_attrs("TF", 2, 2, 2)}), Shape{7}, {0, 0, 0, 0, 2, 1, 1});
}

TEST_CASE("TfIdfVectorizer errors") {
    const Tensor x = i64v({1, 2, 3});
    check_error({"TfIdfVectorizer", {x}, tfidf_attrs("TFX", 1, 2, 0)}, "attribute 'mode' out of range");
    check_error({"TfIdfVectorizer", {x}, tfidf_attrs("TF", 2, 1, 0)}, "TfIdfVectorizer gram lengths out of range");
    check_error({"TfIdfVectorizer", {f32(Shape{3}, {1, 2, 3})}, tfidf_attrs("TF", 1, 2, 0)}, "unsupported TfIdfVectorizer input dtype");
    check_error({"TfIdfVectorizer", {i64(Shape{1, 1, 3}, {1, 2, 3})}, tfidf_attrs("TF", 1, 2, 0)}, "TfIdfVectorizer input must be [C] or [B, C]");
    Attributes a = tfidf_attrs("TF", 1, 2, 0);
    a.set_ints("ngram_counts", {0, 11});
    check_error({"TfIdfVectorizer", {x}, a}, "TfIdfVectorizer ngram_counts out of range");
    Attributes w = tfidf_attrs("TFIDF", 1, 2, 0);
    w.set_floats("weights", {1.0});
    check_error({"TfIdfVectorizer", {x}, w}, "TfIdfVectorizer weights too short");
}

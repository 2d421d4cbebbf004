// What NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss share: input (N, C, d1..dk) of log
// probabilities, target (N, d1..dk) of class indices, an optional weight (C), ignore_index and
// reduction (none, sum, mean; default mean). Element loss: -input[n, t, d] * weight[t] (weight 1
// when absent), 0 where t = ignore_index. sum: the sum of the element losses; mean: that sum
// divided by the sum of the weights applied (ignored targets apply none), as the ONNX spec
// defines it (0 / 0 = NaN when every target is ignored). Products of two inputs are exact in
// double; sums are taken in double in index order, one thread, and rounded once. A target
// outside [0, C) that is not ignore_index is an Error.
#ifndef MUTINY_OPS_LOSS_COMMON_HPP_
#define MUTINY_OPS_LOSS_COMMON_HPP_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"

namespace mutiny {
namespace loss {

enum class LossReduction : uint8_t { none, sum, mean };

struct LossSpec {
    LossReduction reduction = LossReduction::mean;
    bool has_ignore = false;
    int64_t ignore_index = 0;
};

inline LossSpec loss_spec(const Attributes& a, const std::string& where) {
    LossSpec s;
    const std::string r = a.get_string("reduction", "mean");
    if (r == "none") s.reduction = LossReduction::none;
    else if (r == "sum") s.reduction = LossReduction::sum;
    else if (r == "mean") s.reduction = LossReduction::mean;
    else throw Error("unsupported reduction '" + r + "'", where, "expected none, sum or mean");
    s.has_ignore = a.has("ignore_index");
    s.ignore_index = a.get_int("ignore_index", 0);
    return s;
}

// Checks input (0), target (1) and the optional weight (2); sets output 0 (the loss).
inline void infer_loss(InferContext& c) {
    c.expect_inputs(2, 3);
    c.expect_float(0);
    const std::string op = c.node().op;
    const Shape& xs = c.shape(0);
    const Shape& ts = c.shape(1);
    const LossSpec s = loss_spec(c.attrs(), c.where());
    if (xs.rank() < 2) c.fail(op + " input needs shape (N, C, d1..dk)", "it is " + xs.str());
    if (c.dtype(1) != DType::i64 && c.dtype(1) != DType::i32)
        c.fail(op + " target must be int32 or int64", std::string("it is ") + dtype_name(c.dtype(1)));
    std::vector<int64_t> want{xs[0]};
    want.insert(want.end(), xs.dims().begin() + 2, xs.dims().end());
    if (ts != Shape(want)) c.fail(op + " target of a wrong shape", "target " + ts.str() + " for input " + xs.str() + ", expected " + Shape(want).str());
    if (c.has_input(2)) {
        if (c.dtype(2) != c.dtype(0)) c.fail(op + " weight differs from input in dtype", std::string(dtype_name(c.dtype(2))) + " and " + dtype_name(c.dtype(0)));
        if (c.shape(2) != Shape{xs[1]}) c.fail(op + " weight of a wrong shape", "weight " + c.shape(2).str() + " for " + std::to_string(xs[1]) + " classes");
    }
    c.set_output(0, c.dtype(0), s.reduction == LossReduction::none ? ts : Shape{});
}

// The targets as int64, each checked: in [0, C) or equal to ignore_index.
inline std::vector<int64_t> checked_targets(const Tensor& t, int64_t classes, const LossSpec& s, const std::string& op, const std::string& where) {
    std::vector<int64_t> v(static_cast<size_t>(t.numel()));
    if (t.dtype() == DType::i64) {
        if (!v.empty()) std::memcpy(v.data(), t.raw(), v.size() * sizeof(int64_t));
    } else {
        const int32_t* p = static_cast<const int32_t*>(t.raw());
        for (size_t i = 0; i < v.size(); ++i) v[i] = p[i];
    }
    for (size_t i = 0; i < v.size(); ++i) {
        if (s.has_ignore && v[i] == s.ignore_index) continue;
        if (v[i] < 0 || v[i] >= classes)
            throw Error(op + " target out of range", where,
                        "target " + std::to_string(v[i]) + " (element " + std::to_string(i) + " of the target) for " + std::to_string(classes) +
                            " classes; the valid range is [0, " + std::to_string(classes - 1) + "]" +
                            (s.has_ignore ? " or ignore_index " + std::to_string(s.ignore_index) : std::string(" (no ignore_index is set)")));
    }
    return v;
}

// The loss of log probabilities lp (N, C, D) for the checked targets (N, D), weight w (C) or
// nullptr, into out (N, D) for reduction none, else out[0].
template <class T>
void nll_loss(const LossSpec& s, int64_t n, int64_t classes, int64_t d, const T* lp, const std::vector<int64_t>& tgt, const T* w, T* out) {
    auto term = [&](int64_t pos, double& weight) -> double {  // -lp * w, exact; weight applied
        const int64_t t = tgt[static_cast<size_t>(pos)];
        if (s.has_ignore && t == s.ignore_index) {
            weight = 0;
            return 0;
        }
        weight = w ? static_cast<double>(load(w[t])) : 1.0;
        const int64_t b = pos / d, i = pos % d;
        return -(static_cast<double>(load(lp[(b * classes + t) * d + i])) * weight);
    };
    const int64_t m = n * d;
    if (s.reduction == LossReduction::none) {
        parallel_chunks(m, 16384, [&](int64_t b, int64_t e) {
            for (int64_t p = b; p < e; ++p) {
                double wt;
                out[p] = store_as<T>(static_cast<compute_t<T>>(term(p, wt)));
            }
        });
        return;
    }
    double sum = 0, wsum = 0;
    for (int64_t p = 0; p < m; ++p) {
        double wt;
        sum += term(p, wt);
        wsum += wt;
    }
    out[0] = store_as<T>(static_cast<compute_t<T>>(s.reduction == LossReduction::sum ? sum : sum / wsum));
}

}  // namespace loss
}  // namespace mutiny

#endif  // MUTINY_OPS_LOSS_COMMON_HPP_

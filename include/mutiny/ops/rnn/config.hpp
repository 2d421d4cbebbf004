// The recurrent ops' attributes (RNN, GRU, LSTM; ONNX opsets 7 and 14): direction, hidden_size,
// layout, the activation lists with their alpha/beta, clip, GRU's linear_before_reset and LSTM's
// input_forget, read and checked once (by infer, with the node's name in every error).
#ifndef MUTINY_OPS_RNN_CONFIG_HPP_
#define MUTINY_OPS_RNN_CONFIG_HPP_

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "../common.hpp"

namespace mutiny {
namespace rnn {

// What differs between the three ops before any arithmetic.
struct Kind {
    const char* op;
    int64_t gates;              // weight rows per hidden unit: RNN 1, GRU 3 (z, r, h), LSTM 4 (i, o, f, c)
    size_t nacts;               // activations per direction: RNN f; GRU f, g; LSTM f, g, h
    const char* defaults[3];    // their defaults
    size_t max_inputs, max_outputs;
};
constexpr Kind kRnn{"RNN", 1, 1, {"Tanh", nullptr, nullptr}, 6, 2};
constexpr Kind kGru{"GRU", 3, 2, {"Sigmoid", "Tanh", nullptr}, 6, 2};
constexpr Kind kLstm{"LSTM", 4, 3, {"Sigmoid", "Tanh", "Tanh"}, 8, 3};

enum class Fn : uint8_t { relu, tanh, sigmoid, affine, leaky_relu, thresholded_relu, scaled_tanh, hard_sigmoid, elu, softsign, softplus };

struct Activation {
    Fn fn = Fn::tanh;
    double alpha = 0, beta = 0;
    template <class C>
    C operator()(C x) const {
        const C a = static_cast<C>(alpha), b = static_cast<C>(beta);
        switch (fn) {
            case Fn::relu: return x > C(0) ? x : C(0);
            case Fn::tanh: return std::tanh(x);
            case Fn::sigmoid: return C(1) / (C(1) + std::exp(-x));
            case Fn::affine: return a * x + b;
            case Fn::leaky_relu: return x >= C(0) ? x : a * x;
            case Fn::thresholded_relu: return x > a ? x : C(0);
            case Fn::scaled_tanh: return a * std::tanh(b * x);
            case Fn::hard_sigmoid: return std::max(C(0), std::min(C(1), a * x + b));
            case Fn::elu: return x >= C(0) ? x : a * (std::exp(x) - C(1));
            case Fn::softsign: return x / (C(1) + std::fabs(x));
            // log(1 + e^x), written so that large |x| neither overflows nor loses the result.
            case Fn::softplus: return x > C(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
        }
        return x;
    }
};

// The activation names ONNX lists, with which of alpha/beta each takes and their defaults (those
// of the ONNX op of the same name; ScaledTanh's op has none, so it needs both given).
struct ActivationInfo {
    const char* name;
    Fn fn;
    bool uses_alpha, uses_beta, has_defaults;
    double alpha, beta;
};
inline const std::vector<ActivationInfo>& activation_table() {
    static const std::vector<ActivationInfo> t{
        {"Relu", Fn::relu, false, false, true, 0, 0},
        {"Tanh", Fn::tanh, false, false, true, 0, 0},
        {"Sigmoid", Fn::sigmoid, false, false, true, 0, 0},
        {"Affine", Fn::affine, true, true, true, 1.0, 0.0},
        {"LeakyRelu", Fn::leaky_relu, true, false, true, 0.01, 0},
        {"ThresholdedRelu", Fn::thresholded_relu, true, false, true, 1.0, 0},
        {"ScaledTanh", Fn::scaled_tanh, true, true, false, 0, 0},
        {"HardSigmoid", Fn::hard_sigmoid, true, true, true, 0.2, 0.5},
        {"Elu", Fn::elu, true, false, true, 1.0, 0},
        {"Softsign", Fn::softsign, false, false, true, 0, 0},
        {"Softplus", Fn::softplus, false, false, true, 0, 0},
    };
    return t;
}

struct Config {
    int64_t gates = 1;
    int64_t hidden = 0;  // hidden_size, or R's last dimension when the attribute is absent
    int64_t dirs = 1;
    bool reverse = false;  // direction = reverse (with dirs == 1)
    bool layout1 = false;  // layout = 1: batch first
    size_t nacts = 1;
    std::vector<Activation> acts;  // dirs * nacts, direction-major
    bool clip = false;
    double clip_value = 0;
    bool linear_before_reset = false;  // GRU
    bool input_forget = false;         // LSTM
    const Activation& act(int64_t d, size_t k) const { return acts[static_cast<size_t>(d) * nacts + k]; }
    // Clipping bounds the input of every gate activation to [-clip, clip].
    template <class C>
    C clipped(C x) const {
        if (!clip) return x;
        const C c = static_cast<C>(clip_value);
        return x < -c ? -c : (x > c ? c : x);
    }
};

// `fail(what, why)` throws (InferContext::fail or a thrower carrying the node's place).
template <class Fail>
Config parse_config(const Attributes& a, const Kind& k, int64_t r_hidden, Fail fail) {
    Config c;
    c.gates = k.gates;
    c.nacts = k.nacts;
    const std::string dir = a.get_string("direction", "forward");
    if (dir == "bidirectional") c.dirs = 2;
    else if (dir == "reverse") c.reverse = true;
    else if (dir != "forward") fail("unknown direction '" + dir + "'", "direction is forward, reverse or bidirectional");
    const int64_t layout = a.get_int("layout", 0);
    if (layout != 0 && layout != 1) fail("layout " + std::to_string(layout) + " out of range", "layout is 0 (sequence first) or 1 (batch first)");
    c.layout1 = layout == 1;
    c.hidden = a.has("hidden_size") ? a.get_int("hidden_size", 0) : r_hidden;
    if (c.hidden <= 0) fail("hidden_size " + std::to_string(c.hidden) + " is not positive", "each direction needs at least one hidden unit");
    // The weight shapes are 2 * gates * hidden_size: bounded so that they cannot overflow.
    if (c.hidden > kMaxExtent) fail("hidden_size " + std::to_string(c.hidden) + " out of range", "at most 2^40 = " + std::to_string(kMaxExtent));
    if (a.has("clip")) {
        c.clip = true;
        c.clip_value = a.get_float("clip", 0);
        if (!(c.clip_value > 0)) fail("clip " + std::to_string(c.clip_value) + " is not positive", "clip bounds the gates' inputs to [-clip, clip]");
    }
    c.linear_before_reset = a.get_int("linear_before_reset", 0) != 0;
    c.input_forget = a.get_int("input_forget", 0) != 0;

    std::vector<std::string> names = a.get_strings("activations");
    const size_t want = k.nacts * static_cast<size_t>(c.dirs);
    if (names.empty())
        for (int64_t d = 0; d < c.dirs; ++d) names.insert(names.end(), k.defaults, k.defaults + k.nacts);
    if (names.size() != want)
        fail("wrong number of activations",
             std::to_string(names.size()) + " given; " + k.op + " with direction=" + dir + " takes " + std::to_string(want) + " (" +
                 std::to_string(k.nacts) + " per direction)");
    // alpha and beta are consumed in the order of the activations that take them (as
    // onnxruntime does); values left over are ignored, as there.
    const std::vector<double> alphas = a.get_floats("activation_alpha"), betas = a.get_floats("activation_beta");
    size_t ai = 0, bi = 0;
    for (const std::string& n : names) {
        std::string low = n;
        std::transform(low.begin(), low.end(), low.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        const ActivationInfo* info = nullptr;
        std::string known;
        for (const ActivationInfo& e : activation_table()) {
            std::string el = e.name;
            std::transform(el.begin(), el.end(), el.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
            if (el == low) info = &e;
            known += (known.empty() ? "" : ", ") + std::string(e.name);
        }
        if (!info) fail("unknown activation '" + n + "'", "the activations are " + known);
        Activation act;
        act.fn = info->fn;
        act.alpha = info->alpha;
        act.beta = info->beta;
        if (info->uses_alpha && ai < alphas.size()) act.alpha = alphas[ai++];
        else if (info->uses_alpha && !info->has_defaults) fail(std::string(info->name) + " needs activation_alpha", "it has no default; give one value per activation that takes one");
        if (info->uses_beta && bi < betas.size()) act.beta = betas[bi++];
        else if (info->uses_beta && !info->has_defaults) fail(std::string(info->name) + " needs activation_beta", "it has no default; give one value per activation that takes one");
        c.acts.push_back(act);
    }
    return c;
}

}  // namespace rnn
}  // namespace mutiny

#endif  // MUTINY_OPS_RNN_CONFIG_HPP_

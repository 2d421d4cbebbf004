// Post-training int8 quantization of a float model, simulated (`mutiny diff ... --against
// cpu,cpu@int8`, docs/cli.md): the QDQ graph onnxruntime.quantization.quantize_static writes with
//   quant_format=QDQ, calibrate_method=MinMax, per_channel=True,
//   activation_type=QUInt8 (asymmetric), weight_type=QInt8 (symmetric),
// calibrated on the inputs given (Int8Calibration, one trace per input), so Mutiny's executors run
// the int8 deployment's arithmetic as QuantizeLinear -> DequantizeLinear pairs on float tensors.
//
// Which tensors are quantized follows ORT's QDQ quantizer, node by node in topological order, for the
// op types quantize_static quantizes by default:
//   Conv, ConvTranspose, Gemm, MatMul  input 0 (and a MatMul's non-constant input 1) and the output;
//                         a constant float32 weight per output channel (Conv axis 0, ConvTranspose 1,
//                         Gemm 0 with transB else 1, MatMul 1), int8 symmetric: scale = max|w| / 127
//                         over the channel; a constant bias as int32 with scale input scale x weight
//                         scale, zero point 0; weights and biases are stored dequantized (float)
//   Relu, Clip            quantize nothing when the input is not quantized; when the input's only
//                         reader is this node and the input comes from a node, ORT deletes the node and
//                         quantizes its producer's output with this node's range (the same values as
//                         quantizing this output, which is what happens here); otherwise input and output
//   Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Slice, AveragePool, MaxPool, Resize, Split,
//   Gather, GatherElements, TopK   the output with the input's scale and zero point, when the input is
//                         quantized (ORT's "direct 8 bit" ops)
//   Pad                   the input, and the output with the input's parameters (constant 0, edge,
//                         reflect, wrap) or its own
//   every other quantized op type (Sigmoid, Add, Mul, Concat, Softmax, GlobalAveragePool, LeakyRelu,
//                         BatchNormalization, ...)  every non-constant float input and every output
// Activation parameters (ORT's compute_scale_zp): rmin = min(min, 0), rmax = max(max, 0), scale =
// (rmax - rmin) / 255 in double, stored as float, zero point = round_half_even(-rmin / scale); a
// scale below FLT_MIN becomes 1 with zero point 0. QuantizeLinear rounds half to even and saturates
// to [0, 255] (uint8); weights saturate to [-128, 127]. Constants other than these weights and biases
// (BatchNormalization's scale and bias, a Pad value, an Add's constant) stay float: ORT quantizes
// some of them too (BatchNormalization's as int8 and int32), where this simulation and ORT's model
// can differ.
//
// A graph output that is quantized keeps its name on the DequantizeLinear's output; its producer's
// output becomes NAME_QuantizeLinear_Input, as ORT names it.
#ifndef MUTINY_ANALYSIS_INT8_SIMULATION_HPP_
#define MUTINY_ANALYSIS_INT8_SIMULATION_HPP_

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../graph/graph.hpp"
#include "../ops/infer.hpp"
#include "qdq_float.hpp"

namespace mutiny {

// Min and max of every float32 value over the calibration inputs (ORT's MinMax calibrator).
class Int8Calibration {
public:
    explicit Int8Calibration(const Graph& g) : lo_(g.values.size(), INFINITY), hi_(g.values.size(), -INFINITY) {
        for (size_t v = 0; v < g.values.size(); ++v) track_.push_back(g.values[v].dtype == DType::f32 && !g.values[v].is_constant());
    }
    // One run's trace (CpuExecutor::run_trace: one tensor per value).
    void add(const std::vector<Tensor>& trace) {
        for (size_t v = 0; v < track_.size() && v < trace.size(); ++v) {
            if (!track_[v] || trace[v].empty() || trace[v].dtype() != DType::f32) continue;
            const float* p = trace[v].data<float>();
            for (int64_t i = 0; i < trace[v].numel(); ++i) {
                if (p[i] != p[i]) continue;
                lo_[v] = std::min(lo_[v], p[i]);
                hi_[v] = std::max(hi_[v], p[i]);
            }
        }
        ++inputs_;
    }
    float min(int v) const { return lo_[static_cast<size_t>(v)] <= hi_[static_cast<size_t>(v)] ? lo_[static_cast<size_t>(v)] : 0.0f; }
    float max(int v) const { return lo_[static_cast<size_t>(v)] <= hi_[static_cast<size_t>(v)] ? hi_[static_cast<size_t>(v)] : 0.0f; }
    int64_t inputs() const { return inputs_; }

private:
    std::vector<float> lo_, hi_;
    std::vector<bool> track_;
    int64_t inputs_ = 0;
};

struct Int8Params {
    float scale = 1.0f;
    int64_t zero_point = 0;
};

// ORT's compute_scale_zp for the range [rmin, rmax] and the integers [qmin, qmax].
inline Int8Params int8_params(float rmin, float rmax, int64_t qmin, int64_t qmax, bool symmetric) {
    rmin = std::min(rmin, 0.0f);
    rmax = std::max(rmax, 0.0f);
    if (symmetric) {
        const float a = std::max(std::fabs(rmin), std::fabs(rmax));
        rmin = -a;
        rmax = a;
    }
    const double scale = (static_cast<double>(rmax) - static_cast<double>(rmin)) / static_cast<double>(qmax - qmin);
    Int8Params p;
    if (scale < static_cast<double>(FLT_MIN)) return p;
    p.zero_point = symmetric ? static_cast<int64_t>(std::nearbyint((qmin + qmax) / 2.0))
                             : static_cast<int64_t>(std::nearbyint(static_cast<double>(qmin) - static_cast<double>(rmin) / scale));
    p.zero_point = std::min(qmax, std::max(qmin, p.zero_point));
    p.scale = static_cast<float>(scale);
    return p;
}

struct Int8Graph {
    Graph graph;                 // the QDQ graph, validated
    int activations = 0;         // tensors quantized (Q -> DQ pairs)
    int weights = 0, biases = 0;  // constants quantized
    std::map<std::string, std::vector<float>> weight_scales;  // dequantized weight constant -> its per-channel scales
};

namespace int8_detail {

inline bool ort_quantizes(const std::string& op) {
    static const std::set<std::string> ops = {
        "ArgMax", "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "Relu", "Clip", "LeakyRelu", "Sigmoid", "MaxPool",
        "GlobalAveragePool", "Split", "Pad", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Resize", "AveragePool", "Concat",
        "Softmax", "Where", "Gather", "GatherElements", "Transpose", "Slice", "InstanceNormalization", "LayerNormalization",
        "BatchNormalization", "TopK", "CumSum"};
    return ops.count(op) > 0;
}

inline bool same_as_input(const std::string& op) {
    static const std::set<std::string> ops = {"Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice", "AveragePool",
                                              "MaxPool", "Resize", "Split", "Gather", "GatherElements", "TopK"};
    return ops.count(op) > 0;
}

// The weight input of an op with one, and the axis of its output channels; -1 for none.
inline int weight_axis(const Node& n, int& input) {
    input = 1;
    if (n.op == "Conv") return 0;
    if (n.op == "ConvTranspose") return 1;
    if (n.op == "Gemm") return n.attrs.get_int("transB", 0) ? 0 : 1;
    if (n.op == "MatMul") return 1;
    input = -1;
    return -1;
}

// Quantizes a constant per channel (int8 symmetric) and returns it dequantized, with the scales.
inline Tensor int8_weight(const Tensor& w, int axis, std::vector<float>& scales) {
    const Shape& s = w.shape();
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= s[static_cast<size_t>(d)];
    for (size_t d = static_cast<size_t>(axis) + 1; d < s.rank(); ++d) inner *= s[d];
    const int64_t ch = s[static_cast<size_t>(axis)];
    const float* p = w.data<float>();
    scales.assign(static_cast<size_t>(ch), 1.0f);
    Tensor out(DType::f32, s);
    float* q = out.data<float>();
    for (int64_t c = 0; c < ch; ++c) {
        float mn = INFINITY, mx = -INFINITY;
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t i = 0; i < inner; ++i) {
                const float v = p[(o * ch + c) * inner + i];
                mn = std::min(mn, v);
                mx = std::max(mx, v);
            }
        const Int8Params prm = int8_params(mn, mx, -127, 127, true);
        scales[static_cast<size_t>(c)] = prm.scale;
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t i = 0; i < inner; ++i) {
                const int64_t k = (o * ch + c) * inner + i;
                // numpy: (w / scale) in float32, rounded half to even, clipped to int8; then DequantizeLinear.
                const float r = std::nearbyint(p[k] / prm.scale);
                const float qi = std::min(127.0f, std::max(-128.0f, r));
                q[k] = (qi - 0.0f) * prm.scale;
            }
    }
    return out;
}

// A bias as int32 with scale input scale x weight scale (per channel), dequantized.
inline Tensor int32_bias(const Tensor& b, float input_scale, const std::vector<float>& wscales, float beta) {
    Tensor out(DType::f32, b.shape());
    const float* p = b.data<float>();
    float* q = out.data<float>();
    for (int64_t i = 0; i < b.numel(); ++i) {
        const float ws = wscales.size() == 1 ? wscales[0] : wscales.at(static_cast<size_t>(i));
        float bs = input_scale * ws * beta;
        if (bs == 0) bs = 1.0f;
        double r = std::nearbyint(static_cast<double>(p[i]) / static_cast<double>(bs));
        r = std::min(2147483647.0, std::max(-2147483648.0, r));
        q[i] = (static_cast<float>(static_cast<int32_t>(r)) - 0.0f) * bs;
    }
    return out;
}

}  // namespace int8_detail

// A model to quantize must not be quantized already.
inline void check_unquantized(const Graph& g) {
    if (const Node* q = first_quantized_node(g))
        throw Error("the model is quantized already", Graph::where(*q),
                    "@int8 quantizes a float model; compare a quantized model with its float model with --against cpu@float,cpu");
}

// The simulated int8 deployment of float graph `g`, calibrated by `cal` (traces of g).
inline Int8Graph simulate_int8(const Graph& g, const Int8Calibration& cal) {
    using namespace int8_detail;
    check_unquantized(g);
    if (cal.inputs() == 0) throw Error("no calibration input", "@int8", "the data set is empty");
    const size_t nv = g.values.size();
    std::vector<int> provider(nv, -1);  // quantized value -> the value whose range gives its parameters
    std::vector<int> readers(nv, 0);
    const std::vector<int> prod = g.producers();
    for (const Node& n : g.nodes)
        for (int in : n.inputs)
            if (in >= 0) ++readers[static_cast<size_t>(in)];
    auto is_act = [&](int v) { return v >= 0 && g.value(v).dtype == DType::f32 && !g.value(v).is_constant(); };
    auto quantize = [&](int v, int from) {
        if (is_act(v) && provider[static_cast<size_t>(v)] < 0) provider[static_cast<size_t>(v)] = from;
    };
    struct WeightJob {
        int node, weight, axis, bias;
    };
    std::vector<WeightJob> jobs;
    for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
        const Node& n = g.nodes[ni];
        if (!ort_quantizes(n.op)) continue;
        const int x = n.input(0);
        int wi = -1;
        const int axis = weight_axis(n, wi);
        if (axis >= 0) {
            quantize(x, x);
            const int w = n.input(static_cast<size_t>(wi));
            const bool const_w = w >= 0 && g.value(w).is_constant() && g.value(w).dtype == DType::f32 &&
                                 static_cast<size_t>(axis) < g.value(w).constant.shape().rank();
            if (const_w) {
                const int b = n.op == "MatMul" ? -1 : n.input(2);
                const bool const_b = b >= 0 && g.value(b).is_constant() && g.value(b).dtype == DType::f32;
                jobs.push_back({static_cast<int>(ni), w, axis, const_b ? b : -1});
            } else {
                quantize(w, w);
            }
            for (int o : n.outputs) quantize(o, o);
        } else if (n.op == "Relu" || n.op == "Clip") {
            if (!is_act(x) || provider[static_cast<size_t>(x)] < 0) continue;
            const bool removable = prod[static_cast<size_t>(x)] >= 0 && readers[static_cast<size_t>(x)] == 1 &&
                                   std::find(g.outputs.begin(), g.outputs.end(), x) == g.outputs.end() &&
                                   provider[static_cast<size_t>(x)] == x;
            if (removable) provider[static_cast<size_t>(x)] = -1;
            quantize(n.outputs.at(0), n.outputs.at(0));
        } else if (same_as_input(n.op)) {
            if (!is_act(x) || provider[static_cast<size_t>(x)] < 0) continue;
            for (int o : n.outputs) quantize(o, provider[static_cast<size_t>(x)]);
        } else if (n.op == "Pad") {
            quantize(x, x);
            const int c = n.input(2);
            const bool zero = c < 0 || (g.value(c).is_constant() && g.value(c).constant.numel() == 1 && g.value(c).constant.get_f64(0) == 0);
            const std::string mode = n.attrs.get_string("mode", "constant");
            quantize(n.outputs.at(0), mode != "constant" || zero ? provider[static_cast<size_t>(x)] : n.outputs.at(0));
        } else {
            for (int in : n.inputs) quantize(in, in);
            for (int o : n.outputs) quantize(o, o);
        }
    }

    Int8Graph r;
    Graph& q = r.graph;
    q = g;
    // Weights and biases: ORT stores them as integers behind a DequantizeLinear, which the importer
    // folds; they are stored dequantized here.
    struct QuantizedWeight {
        std::vector<float> scales;
        int value;
    };
    std::map<int, QuantizedWeight> done;  // a weight read by several nodes is quantized once
    for (const WeightJob& j : jobs) {
        Node& n = q.nodes[static_cast<size_t>(j.node)];
        auto it = done.find(j.weight);
        if (it == done.end()) {
            QuantizedWeight w;
            const Tensor dq = int8_weight(g.value(j.weight).constant, j.axis, w.scales);
            w.value = q.add_constant(q.unique_name(g.value(j.weight).name + "_DequantizeLinear_Output"), dq);
            r.weight_scales[q.value(w.value).name] = w.scales;
            it = done.emplace(j.weight, std::move(w)).first;
            ++r.weights;
        }
        n.inputs[1] = it->second.value;
        if (j.bias >= 0) {
            const int x = n.input(0);
            const int pv = provider[static_cast<size_t>(x)];
            const Int8Params ip = pv >= 0 ? int8_params(cal.min(pv), cal.max(pv), 0, 255, false) : Int8Params{};
            const float beta = n.op == "Gemm" ? static_cast<float>(n.attrs.get_float("beta", 1.0)) : 1.0f;
            const Tensor bq = int32_bias(g.value(j.bias).constant, ip.scale, it->second.scales, beta);
            n.inputs[2] = q.add_constant(q.unique_name(g.value(j.bias).name + "_DequantizeLinear_Output"), bq);
            ++r.biases;
        }
    }
    // Activations: Q -> DQ after each quantized value, every reader reading the DQ's output.
    std::vector<int> dq_of(nv, -1);
    std::vector<Node> pairs;
    for (size_t v = 0; v < nv; ++v) {
        const int pv = provider[v];
        if (pv < 0) continue;
        const Int8Params prm = int8_params(cal.min(pv), cal.max(pv), 0, 255, false);
        std::string name = g.values[v].name;
        int x = static_cast<int>(v);
        const bool output = std::find(g.outputs.begin(), g.outputs.end(), x) != g.outputs.end();
        if (output) q.value(x).name = q.unique_name(name + "_QuantizeLinear_Input");
        q.reindex();
        const int scale = q.add_constant(q.unique_name(name + "_scale"), Tensor::from_vector<float>(Shape{}, {prm.scale}));
        const int zp = q.add_constant(q.unique_name(name + "_zero_point"), Tensor::from_vector<uint8_t>(Shape{}, {static_cast<uint8_t>(prm.zero_point)}));
        const int qv = q.add_value(q.unique_name(name + "_QuantizeLinear_Output"), DType::u8);
        const int dv = q.add_value(output ? name : q.unique_name(name + "_DequantizeLinear_Output"), DType::f32);
        Node qn, dn;
        qn.op = "QuantizeLinear";
        qn.name = name + "_QuantizeLinear";
        qn.inputs = {x, scale, zp};
        qn.outputs = {qv};
        dn.op = "DequantizeLinear";
        dn.name = name + "_DequantizeLinear";
        dn.inputs = {qv, scale, zp};
        dn.outputs = {dv};
        pairs.push_back(std::move(qn));
        pairs.push_back(std::move(dn));
        dq_of[v] = dv;
        if (output) std::replace(q.outputs.begin(), q.outputs.end(), x, dv);
        ++r.activations;
    }
    // Readers read the DQ output; the pairs go right after their value's producer (graph inputs first).
    std::vector<Node> nodes;
    auto emit_pairs = [&](int v) {
        for (size_t i = 0; i < pairs.size(); i += 2)
            if (pairs[i].inputs[0] == v) {
                nodes.push_back(pairs[i]);
                nodes.push_back(pairs[i + 1]);
            }
    };
    for (int in : q.inputs) emit_pairs(in);
    for (Node n : q.nodes) {
        for (int& in : n.inputs)
            if (in >= 0 && static_cast<size_t>(in) < nv && dq_of[static_cast<size_t>(in)] >= 0) in = dq_of[static_cast<size_t>(in)];
        const std::vector<int> outs = n.outputs;
        nodes.push_back(std::move(n));
        for (int o : outs) emit_pairs(o);
    }
    q.nodes = std::move(nodes);
    q.prune();
    validate(q);
    return r;
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_INT8_SIMULATION_HPP_

// Scan: body(states..., one slice of each scan input...) -> (states..., scan output slices...),
// once per position along each scan input's axis (scan_input_axes, scan_input_directions: 1
// walks backwards); node outputs: the final states, then each scan output's slices stacked along
// scan_output_axes (scan_output_directions: 1 stacks backwards). Opset 8's Scan has a batch axis
// first on every input and output and an optional sequence_lens input first; import marks it
// (`batch_major`) and the kernel runs the opset-9 loop once per batch element.
#ifndef MUTINY_OPS_CONTROL_SCAN_HPP_
#define MUTINY_OPS_CONTROL_SCAN_HPP_

#include <string>
#include <vector>

#include "subgraph.hpp"

namespace mutiny {
namespace control {

// A Scan node's layout, from its attributes and input ranks (opset-9 view: no batch axis).
struct ScanLayout {
    size_t first = 0;  // index of the first state input (1 with opset 8's sequence_lens)
    size_t states = 0, scans = 0, outs = 0;
    std::vector<size_t> in_axis;  // output axes depend on the body's output ranks: out_axis_of()
    std::vector<int64_t> in_dir, out_dir;
    bool batch_major = false;
};

// A per-input (or per-output) list attribute of length n; directions must hold 0 or 1.
inline std::vector<int64_t> list_attr(const Node& nd, const char* name, size_t n, int64_t def, bool direction = false) {
    std::vector<int64_t> v = nd.attrs.get_ints(name, std::vector<int64_t>(n, def));
    if (v.size() != n)
        throw Error(std::string("attribute '") + name + "' has the wrong length", Graph::where(nd),
                    std::to_string(v.size()) + " values for " + std::to_string(n) + " scan inputs or outputs");
    for (auto d : v)
        if (direction && d != 0 && d != 1)
            throw Error(std::string("attribute '") + name + "' must hold 0 or 1", Graph::where(nd), std::to_string(d));
    return v;
}

// The node's layout: `rank_of(i)` is the rank of the node's input i.
template <class RankOf>
ScanLayout scan_layout(const Node& nd, const Graph& body, RankOf rank_of) {
    ScanLayout l;
    const std::string where = Graph::where(nd);
    l.batch_major = nd.attrs.get_int("batch_major", 0) != 0;
    l.first = l.batch_major ? 1 : 0;
    const size_t f = formal_inputs(nd);
    const int64_t m = nd.attrs.get_int("num_scan_inputs", -1);
    if (m < 1 || static_cast<size_t>(m) + l.first > f)
        throw Error("num_scan_inputs out of range", where, std::to_string(m) + " with " + std::to_string(f - l.first) + " state and scan inputs");
    l.scans = static_cast<size_t>(m);
    l.states = f - l.first - l.scans;
    if (body.outputs.size() < l.states)
        throw Error("the body has too few outputs", where, std::to_string(body.outputs.size()) + " for " + std::to_string(l.states) + " states");
    l.outs = body.outputs.size() - l.states;
    if (nd.outputs.size() > body.outputs.size())
        throw Error("more outputs than the body gives", where, std::to_string(nd.outputs.size()) + " declared, " + std::to_string(body.outputs.size()) + " given");
    l.in_dir = list_attr(nd, l.batch_major ? "directions" : "scan_input_directions", l.scans, 0, true);
    l.out_dir = list_attr(nd, "scan_output_directions", l.outs, 0, true);
    const auto ia = list_attr(nd, "scan_input_axes", l.scans, 0);
    list_attr(nd, "scan_output_axes", l.outs, 0);  // checks the length
    for (size_t j = 0; j < l.scans; ++j) {
        const size_t rank = rank_of(l.first + l.states + j) - (l.batch_major ? 1 : 0);
        if (rank < 1) throw Error("a scan input has no axis to scan", where, "input " + std::to_string(l.first + l.states + j) + " is a scalar");
        l.in_axis.push_back(norm_axis(ia[j], rank, where, "scan_input_axes"));
    }
    return l;
}

inline Shape drop_axis(const Shape& s, size_t axis) {
    std::vector<int64_t> d = s.dims();
    d.erase(d.begin() + static_cast<std::ptrdiff_t>(axis));
    return Shape(d);
}
inline Shape insert_axis(const Shape& s, size_t axis, int64_t len) {
    std::vector<int64_t> d = s.dims();
    d.insert(d.begin() + static_cast<std::ptrdiff_t>(axis), len);
    return Shape(d);
}
// scan_output_axes[j] for a body output of rank r (the stacked output has rank r + 1).
inline size_t out_axis_of(const ScanLayout& l, const Node& nd, size_t j, size_t r) {
    const int64_t a = nd.attrs.get_ints("scan_output_axes", std::vector<int64_t>(l.outs, 0))[j];
    return norm_axis(a, r + 1, Graph::where(nd), "scan_output_axes");
}

inline void infer_scan(InferContext& c) {
    const Node& nd = c.node();
    const Graph& g = subgraph(nd, "body");
    const ScanLayout l = scan_layout(nd, g, [&](size_t i) { return c.shape(i).rank(); });
    const Body body(nd, "body", l.states + l.scans);
    const size_t bm = l.batch_major ? 1 : 0;
    int64_t batch = 1;
    if (l.batch_major) {
        batch = c.shape(l.first).rank() ? c.shape(l.first)[0] : 0;
        for (size_t i = l.first; i < l.first + l.states + l.scans; ++i)
            if (c.shape(i).rank() < 1 || c.shape(i)[0] != batch)
                c.fail("inputs disagree on the batch size", "input " + std::to_string(i) + " has shape " + c.shape(i).str());
    }
    std::vector<TypeInfo> types;
    for (size_t i = 0; i < l.states; ++i) {
        const Shape& s = c.shape(l.first + i);
        types.push_back(TypeInfo{c.dtype(l.first + i), l.batch_major ? drop_axis(s, 0) : s});
    }
    int64_t len = -1;
    for (size_t j = 0; j < l.scans; ++j) {
        const size_t in = l.first + l.states + j;
        const Shape s = l.batch_major ? drop_axis(c.shape(in), 0) : c.shape(in);
        const int64_t lj = s[l.in_axis[j]];
        if (len >= 0 && lj != len)
            c.fail("scan inputs have different lengths", std::to_string(len) + " and " + std::to_string(lj) + " (input " + std::to_string(in) + ")");
        len = lj;
        types.push_back(TypeInfo{c.dtype(in), drop_axis(s, l.in_axis[j])});
    }
    const std::vector<TypeInfo> out = body.infer(types, {}, c);
    for (size_t i = 0; i < l.states; ++i)
        if (out[i].dtype != types[i].dtype || out[i].shape != types[i].shape)
            c.fail("state " + std::to_string(i) + " changes type in the body",
                   std::string("from ") + dtype_name(types[i].dtype) + " " + types[i].shape.str() + " to " + dtype_name(out[i].dtype) + " " +
                       out[i].shape.str());
    for (size_t o = 0; o < nd.outputs.size(); ++o) {
        Shape s = o < l.states ? out[o].shape : insert_axis(out[o].shape, out_axis_of(l, nd, o - l.states, out[o].shape.rank()), len);
        if (bm) s = insert_axis(s, 0, batch);
        c.set_output(o, out[o].dtype, s);
    }
}

inline Kernel prepare_scan(const PrepareContext& pc) {
    const Node& nd = *pc.node;
    const ScanLayout l = scan_layout(nd, subgraph(nd, "body"), [&](size_t i) { return pc.in[i].shape.rank(); });
    const Body body(nd, "body", l.states + l.scans);
    return [l, body](ExecContext& c) {
        const Node& nd = *c.node;
        const std::string where = Graph::where(nd);
        if (l.batch_major && c.has(0)) {
            const Tensor& lens = c.input(0);
            const int64_t full = c.input(l.first + l.states).shape()[1 + l.in_axis[0]];
            for (int64_t i = 0; i < lens.numel(); ++i)
                if (lens.get_i64(i) != full)
                    throw Error("sequence_lens shorter than the scan inputs are not supported", where,
                                "length " + std::to_string(lens.get_i64(i)) + " for inputs of " + std::to_string(full));
        }
        const int64_t batch = l.batch_major ? c.input(l.first).shape()[0] : 1;
        for (int64_t b = 0; b < batch; ++b) {
            auto in_of = [&](size_t i) { return l.batch_major ? take_along(c.input(i), 0, b) : c.input(i); };
            std::vector<Tensor> states;
            for (size_t i = 0; i < l.states; ++i) states.push_back(in_of(l.first + i));
            std::vector<Tensor> seqs;
            for (size_t j = 0; j < l.scans; ++j) seqs.push_back(in_of(l.first + l.states + j));
            const int64_t len = l.scans ? seqs[0].shape()[l.in_axis[0]] : 0;
            std::vector<Tensor> outs;  // this batch element's stacked scan outputs
            for (size_t o = l.states; o < c.out.size(); ++o) {
                Shape s = c.out[o] ? c.out[o]->shape() : Shape{};
                if (l.batch_major && c.out[o]) s = drop_axis(s, 0);
                outs.emplace_back(c.out[o] ? c.out[o]->dtype() : DType::f32, s);
            }
            for (int64_t t = 0; t < len; ++t) {
                std::vector<Tensor> slices;
                for (size_t j = 0; j < l.scans; ++j) slices.push_back(take_along(seqs[j], l.in_axis[j], l.in_dir[j] ? len - 1 - t : t));
                std::vector<const Tensor*> in;
                for (const Tensor& s : states) in.push_back(&s);
                for (const Tensor& s : slices) in.push_back(&s);
                std::vector<Tensor> r = body.run(in, c);
                for (size_t i = 0; i < l.states; ++i) states[i] = r[i];
                for (size_t o = l.states; o < c.out.size(); ++o) {
                    if (!c.out[o]) continue;
                    const size_t j = o - l.states;
                    put_along(outs[j], out_axis_of(l, nd, j, r[o].shape().rank()), l.out_dir[j] ? len - 1 - t : t, r[o], where);
                }
            }
            for (size_t o = 0; o < c.out.size(); ++o) {
                if (!c.out[o]) continue;
                const Tensor& v = o < l.states ? states[o] : outs[o - l.states];
                if (l.batch_major) put_along(*c.out[o], 0, b, v, where);
                else copy_to_output(v, *c.out[o], where, o);
            }
        }
    };
}

// Opset 8's Scan: batch axis first, optional sequence_lens first (see the file comment).
inline void import_scan(ImportContext& ic) {
    if (ic.opset < 9) ic.node->attrs.set_int("batch_major", 1);
}

inline void register_scan(Registry& r) { r.add(OpDef{"Scan", import_scan, infer_scan, prepare_scan}); }

}  // namespace control
}  // namespace mutiny

#endif  // MUTINY_OPS_CONTROL_SCAN_HPP_

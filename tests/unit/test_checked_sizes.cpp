// Sizes from files are checked before they are used (core/checked.hpp): each case is a tiny model
// crafted here byte by byte, as an attacker would write it (issue 15, items 1 and 2). Before the
// checks, these read outside buffers, wrapped sizes, overflowed pointers, hung in planning or
// allocated gigabytes on the word of a file; each must now end quickly with the exact error.
#include <doctest/doctest.h>

#include "support/support.hpp"
#include "unit/one_node.hpp"
#include "unit/pb_encoder.hpp"

#include <chrono>
#include <cstring>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

using namespace mutiny;
using namespace pb_encoder;
using mutiny_test::error_of;

namespace {

constexpr int32_t kFloat = 1, kInt64 = 7;

Buf packed(const std::vector<int64_t>& v) {
    Buf b;
    for (int64_t x : v) put_varint(b, static_cast<uint64_t>(x));
    return b;
}

// TensorProto: dims, data type, name and, unless `raw` is null, raw_data.
Buf tensor(const std::string& name, int32_t type, const std::vector<int64_t>& dims, const Buf* raw) {
    Buf t;
    if (!dims.empty()) put_len(t, 1, packed(dims));
    put_int(t, 2, type);
    put_str(t, 8, name);
    if (raw) put_len(t, 9, *raw);
    return t;
}
Buf i64_tensor(const std::string& name, const std::vector<int64_t>& v) {
    Buf raw;
    for (int64_t x : v)
        for (int k = 0; k < 8; ++k) raw.push_back(static_cast<uint8_t>(static_cast<uint64_t>(x) >> (8 * k)));
    return tensor(name, kInt64, {static_cast<int64_t>(v.size())}, &raw);
}

// ValueInfoProto of a tensor with a fixed shape (type 0 and no dims: the name alone, for outputs).
Buf value_info(const std::string& name, int32_t type = 0, const std::vector<int64_t>& dims = {}) {
    Buf v;
    put_str(v, 1, name);
    if (type) {
        Buf shape;
        for (int64_t d : dims) {
            Buf dim;
            put_int(dim, 1, d);
            put_len(shape, 1, dim);
        }
        Buf tt;
        put_int(tt, 1, type);
        put_len(tt, 2, shape);
        Buf tp;
        put_len(tp, 1, tt);
        put_len(v, 2, tp);
    }
    return v;
}

Buf attr_ints(const std::string& name, const std::vector<int64_t>& v) {
    Buf a;
    put_str(a, 1, name);
    put_len(a, 8, packed(v));
    put_int(a, 20, 7);  // INTS
    return a;
}

Buf node(const std::string& op, const std::string& name, const std::vector<std::string>& in, const std::vector<std::string>& out,
         const std::vector<Buf>& attrs = {}) {
    Buf n;
    for (const auto& s : in) put_str(n, 1, s);
    for (const auto& s : out) put_str(n, 2, s);
    put_str(n, 3, name);
    put_str(n, 4, op);
    for (const auto& a : attrs) put_len(n, 5, a);
    return n;
}

Buf model(const std::vector<Buf>& nodes, const std::vector<Buf>& inits, const std::vector<Buf>& inputs,
          const std::vector<Buf>& outputs) {
    Buf g;
    for (const auto& n : nodes) put_len(g, 1, n);
    put_str(g, 2, "g");
    for (const auto& t : inits) put_len(g, 5, t);
    for (const auto& v : inputs) put_len(g, 11, v);
    for (const auto& v : outputs) put_len(g, 12, v);
    Buf m;
    put_int(m, 1, 8);  // ir_version
    Buf opset;
    put_int(opset, 2, 17);
    put_len(m, 8, opset);
    put_len(m, 7, g);
    return m;
}

Graph import_bytes(const Buf& b) { return import_onnx(onnx::parse_model(b.data(), b.size(), "crafted"), "crafted"); }

// Sets the memory limit for one test and restores it.
struct MemoryLimit {
    size_t saved = max_tensor_bytes();
    explicit MemoryLimit(size_t bytes) { max_tensor_bytes() = bytes; }
    ~MemoryLimit() { max_tensor_bytes() = saved; }
};

const std::string kLimitHint = " (raise it with --max-memory or mutiny::max_tensor_bytes())";

}  // namespace

TEST_CASE("a Reshape target whose product wraps to the input's size is refused (the Reshape/Gather probe)") {
    // x [1,784] reshaped to [2^62+1, 784]: the product wraps to 784, so the target passed the
    // element-count check, and Gather at index 2^62 read far outside x.
    const Buf m = model({node("Reshape", "r", {"x", "s"}, {"y"}), node("Gather", "gt", {"y", "i"}, {"z"})},
                        {i64_tensor("s", {(int64_t(1) << 62) + 1, 784}), i64_tensor("i", {int64_t(1) << 62})},
                        {value_info("x", kFloat, {1, 784})}, {value_info("z")});
    CHECK(m.size() < 160);  // the probe's file was 152 bytes
    CHECK(error_of([&] { import_bytes(m); }) ==
          "Reshape target size overflows at crafted node 'r' (Reshape): 4611686018427387905 * 784 does not fit 64 bits");
    // The same model with a sound target imports (the check does not refuse the file's structure).
    const Buf ok = model({node("Reshape", "r", {"x", "s"}, {"y"}), node("Gather", "gt", {"y", "i"}, {"z"})},
                         {i64_tensor("s", {28, 28}), i64_tensor("i", {27})}, {value_info("x", kFloat, {1, 784})}, {value_info("z")});
    CHECK(import_bytes(ok).value(import_bytes(ok).outputs[0]).shape == Shape{1, 28});
}

TEST_CASE("a shape whose non-zero dimensions overflow is refused even when it holds no element (Flatten)") {
    // [0, 2^32, 2^32] holds nothing, but Flatten(axis 1) of it is [0, 2^64].
    const Buf m = model({node("Flatten", "f", {"x"}, {"y"})}, {}, {value_info("x", kFloat, {0, int64_t(1) << 32, int64_t(1) << 32})},
                        {value_info("y")});
    CHECK(error_of([&] { import_bytes(m); }) ==
          "graph input 'x' size overflows at crafted graph g: shape [0,4294967296,4294967296] has more than 2^40 = 1099511627776 elements");
    // Within the bounds, Flatten of an empty tensor keeps the other side's product.
    const Buf ok = model({node("Flatten", "f", {"x"}, {"y"})}, {}, {value_info("x", kFloat, {0, 1 << 20, 1 << 10})}, {value_info("y")});
    const Graph g = import_bytes(ok);
    CHECK(g.value(g.outputs[0]).shape == Shape{0, int64_t(1) << 30});
}

TEST_CASE("Pad pads of INT64_MAX are refused") {
    const Buf m = model({node("Pad", "p", {"x", "pads"}, {"y"})}, {i64_tensor("pads", {0, INT64_MAX, 0, 0})}, {value_info("x", kFloat, {1, 4})},
                        {value_info("y")});
    CHECK(error_of([&] { import_bytes(m); }) ==
          "Pad pads out of range at crafted node 'p' (Pad): axis 1 of size 4 with pads 9223372036854775807,0; a pad may be at most "
          "2^40 = 1099511627776 either way");
    const Buf crop = model({node("Pad", "p", {"x", "pads"}, {"y"})}, {i64_tensor("pads", {0, 0, 0, INT64_MIN})}, {value_info("x", kFloat, {1, 4})},
                           {value_info("y")});
    CHECK(error_of([&] { import_bytes(crop); }) ==
          "Pad pads out of range at crafted node 'p' (Pad): axis 1 of size 4 with pads 0,-9223372036854775808; a pad may be at most "
          "2^40 = 1099511627776 either way");
}

TEST_CASE("Conv strides of 2^62 are refused") {
    Buf w_raw(4, 0);
    const Buf m = model({node("Conv", "c", {"x", "w"}, {"y"}, {attr_ints("strides", {int64_t(1) << 62, 1})})},
                        {tensor("w", kFloat, {1, 1, 1, 1}, &w_raw)}, {value_info("x", kFloat, {1, 1, 5, 5})}, {value_info("y")});
    CHECK(error_of([&] { import_bytes(m); }) ==
          "Conv stride out of range at crafted node 'c' (Conv): strides = [4611686018427387904,1]; at most 2^40 = 1099511627776");
}

TEST_CASE("Conv pads of 2^40 end quickly with an error (no planning over 10^12 positions)") {
    Buf w_raw(9 * 4, 0);
    const Buf m = model({node("Conv", "c", {"x", "w"}, {"y"}, {attr_ints("pads", {int64_t(1) << 40, 0, 0, 0})})},
                        {tensor("w", kFloat, {1, 1, 3, 3}, &w_raw)}, {value_info("x", kFloat, {1, 1, 5, 5})}, {value_info("y")});
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(error_of([&] { import_bytes(m); }) ==
          "Conv output size overflows at crafted node 'c' (Conv): spatial dim 0: input 5, pads 1099511627776+0, dilated kernel 3, "
          "stride 1 give 1099511627779 positions, more than 2^40 = 1099511627776");
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
    // A dilation whose kernel extent overflows.
    const Buf d = model({node("Conv", "c", {"x", "w"}, {"y"}, {attr_ints("dilations", {int64_t(1) << 40, 1})})},
                        {tensor("w", kFloat, {1, 1, 3, 3}, &w_raw)}, {value_info("x", kFloat, {1, 1, 5, 5})}, {value_info("y")});
    CHECK(error_of([&] { import_bytes(d); }) ==
          "Conv dilated kernel size overflows at crafted node 'c' (Conv): kernel 3 with dilation 1099511627776 spans more than 2^40 = "
          "1099511627776");
}

TEST_CASE("pooling attributes beyond 2^40 are refused") {
    const Buf m = model({node("MaxPool", "mp", {"x"}, {"y"}, {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {int64_t(1) << 62, 1})})},
                        {}, {value_info("x", kFloat, {1, 1, 5, 5})}, {value_info("y")});
    CHECK(error_of([&] { import_bytes(m); }) ==
          "attribute 'strides' out of range at crafted node 'mp' (MaxPool): 4611686018427387904 is not in [1, 2^40 = 1099511627776]");
}

TEST_CASE("integer Pow is exact and defined for every exponent (0^-1 included)") {
    using namespace one_node;
    // Negative exponents truncate x^y toward zero (0^-1 gives 0, as integer Div by zero does);
    // results beyond int64 wrap like Mul: 3^40 and (-2)^63.
    const Tensor x = i64v({0, 2, -1, -1, 1, 3, -2, 7, 0});
    const Tensor y = i64v({-1, -1, -3, -4, -5, 40, 63, 0, 0});
    Op op("Pow", {x, y});
    op.runtime = {true, true};
    CHECK(run1(op).to_vector<int64_t>() ==
          std::vector<int64_t>{0, 0, -1, 1, 1, -6289078614652622815LL, INT64_MIN, 1, 1});
    // int32 follows the same rule in its own width: 3^21 = 10460353203 wraps to 1870418611.
    Op op32("Pow", {Tensor::from_vector<int32_t>(Shape{3}, {0, 3, -3}), Tensor::from_vector<int32_t>(Shape{3}, {-1, 21, 3})});
    op32.runtime = {true, true};
    CHECK(run1(op32).to_vector<int32_t>() == std::vector<int32_t>{0, 1870418611, -27});
    // A float exponent: the double result saturates into the integer type (inf, NaN defined).
    Op mixed("Pow", {i64v({0, 0, 2, -8}), f32(Shape{4}, {-1.0f, std::numeric_limits<float>::quiet_NaN(), 70.0f, 1.0f / 3})});
    mixed.runtime = {true, true};
    CHECK(run1(mixed).to_vector<int64_t>() == std::vector<int64_t>{INT64_MAX, 0, INT64_MAX, 0});
}

TEST_CASE("an initializer declaring 2^28 elements with no data is refused before anything is allocated") {
    // With a 1 MiB limit an allocation first would be refused as "tensor too large"; the data check
    // must come before it.
    const MemoryLimit limit(size_t(1) << 20);
    const Buf m = model({}, {tensor("w", kFloat, {int64_t(1) << 28}, nullptr)}, {}, {value_info("w")});
    CHECK(m.size() < 90);  // the probe's file was 85 bytes
    CHECK(error_of([&] { import_bytes(m); }) ==
          "tensor data does not match its shape at crafted tensor 'w': 0 values for shape [268435456] (268435456 elements)");
    const Buf empty;
    const Buf raw = model({}, {tensor("w", kFloat, {int64_t(1) << 28}, &empty)}, {}, {value_info("w")});
    CHECK(error_of([&] { import_bytes(raw); }) ==
          "tensor raw_data does not match its shape at crafted tensor 'w': 0 bytes for 268435456 elements of 4 bytes");
    // A conformance .pb file goes through the same conversion.
    const Buf pb = tensor("t", kFloat, {int64_t(1) << 28}, nullptr);
    CHECK(error_of([&] { onnx_import::tensor_from_proto(onnx::parse_tensor(pb.data(), pb.size(), "input_0.pb"), "input_0.pb"); }) ==
          "tensor data does not match its shape at input_0.pb tensor 't': 0 values for shape [268435456] (268435456 elements)");
}

TEST_CASE("ConstantOfShape of [2^40] is refused against the memory limit before anything is allocated") {
    const Buf m = model({node("ConstantOfShape", "k", {"s"}, {"y"})}, {i64_tensor("s", {int64_t(1) << 40})}, {}, {value_info("y")});
    {
        const MemoryLimit limit(size_t(1) << 30);
        CHECK(error_of([&] { import_bytes(m); }) ==
              "ConstantOfShape output 0 too large at crafted node 'k' (ConstantOfShape): 1099511627776 elements of 4 bytes exceed the "
              "memory limit of 1073741824 bytes" + kLimitHint);
    }
    // The default limit (half the physical memory) refuses 4 TiB too.
    CHECK(mutiny_test::contains(error_of([&] { import_bytes(m); }), "ConstantOfShape output 0 too large at crafted node 'k'"));
    // Beyond 2^40 elements the size itself is refused.
    const Buf big = model({node("ConstantOfShape", "k", {"s"}, {"y"})}, {i64_tensor("s", {int64_t(1) << 41, 0})}, {}, {value_info("y")});
    CHECK(error_of([&] { import_bytes(big); }) ==
          "ConstantOfShape output 0 size overflows at crafted node 'k' (ConstantOfShape): shape [2199023255552,0] has more than 2^40 = "
          "1099511627776 elements");
    // Expand and Tile sizes are checked the same way.
    const MemoryLimit limit(size_t(1) << 20);
    const Buf tile = model({node("Tile", "t", {"x", "r"}, {"y"})}, {i64_tensor("r", {int64_t(1) << 62, 4})}, {value_info("x", kFloat, {4, 4})},
                           {value_info("y")});
    CHECK(error_of([&] { import_bytes(tile); }) ==
          "Tile output size overflows at crafted node 't' (Tile): 4 * 4611686018427387904 does not fit 64 bits");
    const Buf expand = model({node("Expand", "e", {"x", "s"}, {"y"})}, {i64_tensor("s", {1 << 20, 4})}, {value_info("x", kFloat, {1, 4})},
                             {value_info("y")});
    CHECK(error_of([&] { import_bytes(expand); }) ==
          "Expand output 0 too large at crafted node 'e' (Expand): 4194304 elements of 4 bytes exceed the memory limit of 1048576 bytes" +
              kLimitHint);
}

namespace {
// A native model file with its text edited (sizes and checksum rewritten, as a crafted file would).
Buf native_with_text(const NativeModel& nm, const std::string& from, const std::string& to) {
    const Buf b = save_native_bytes(nm);
    auto get64 = [&](size_t at) { uint64_t v = 0; for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(b[at + i]) << (8 * i); return v; };
    std::string text(reinterpret_cast<const char*>(b.data()) + 64, get64(16));
    const size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    const Buf bin(b.begin() + static_cast<long>(get64(24)), b.end());
    const size_t off = (64 + text.size() + 63) / 64 * 64;
    Buf out(off + bin.size(), 0);
    std::copy(b.begin(), b.begin() + 64, out.begin());
    std::copy(text.begin(), text.end(), out.begin() + 64);
    std::copy(bin.begin(), bin.end(), out.begin() + static_cast<long>(off));
    auto put64 = [&](size_t p, uint64_t v) { for (int i = 0; i < 8; ++i) out[p + i] = static_cast<uint8_t>(v >> (8 * i)); };
    put64(16, text.size());
    put64(24, off);
    put64(40, native::header_checksum(out.data(), out.size(), 2));
    return out;
}
}  // namespace

TEST_CASE("native files: constants and attribute lists are checked against what the file holds before allocation") {
    NativeModel nm;
    Graph& g = nm.graph;
    g.name = "n";
    const int x = g.add_input("x", DType::f32, Shape{2, 3});
    const int w = g.add_constant("w", Tensor::from_vector<float>(Shape{2}, {1.0f, 2.0f}));
    Node n;
    n.op = "Transpose";
    n.name = "t";
    n.inputs = {x};
    n.outputs = {g.add_value("y")};
    n.attrs.set("perm", Attribute::of_ints({1, 0}));
    g.nodes.push_back(n);
    g.outputs = {n.outputs[0]};
    (void)w;
    const MemoryLimit limit(size_t(1) << 20);
    const Buf ok = save_native_bytes(nm);
    CHECK(load_native_bytes(ok.data(), ok.size(), "m.mutiny").graph.nodes.size() == 1);
    const Buf big = native_with_text(nm, "const f32 [2]", "const f32 [268435456]");
    CHECK(error_of([&] { load_native_bytes(big.data(), big.size(), "m.mutiny"); }) ==
          "tensor past the end of the binary section at m.mutiny line 4: shape [268435456] at offset 0 of a binary section of 8 bytes; "
          "the file is corrupt");
    const Buf list = native_with_text(nm, "ints 2 1 0", "ints 4611686018427387904 1 0");
    CHECK(mutiny_test::contains(error_of([&] { load_native_bytes(list.data(), list.size(), "m.mutiny"); }),
                                "malformed attribute at m.mutiny line 9: a list of 4611686018427387904 values on a line of"));
}

namespace {
Buf f32_tensor(const std::string& name, const std::vector<float>& v) {
    Buf raw(v.size() * 4);
    std::memcpy(raw.data(), v.data(), raw.size());
    return tensor(name, kFloat, {static_cast<int64_t>(v.size())}, &raw);
}
Buf attr_int(const std::string& name, int64_t v) {
    Buf a;
    put_str(a, 1, name);
    put_int(a, 3, v);
    put_int(a, 20, 2);  // INT
    return a;
}
}  // namespace

TEST_CASE("other sizes derived from attributes and values are checked (DepthToSpace, MaxUnpool, Col2Im, Resize, RNN, ConvTranspose)") {
    const Buf d2s = model({node("DepthToSpace", "d", {"x"}, {"y"}, {attr_int("blocksize", int64_t(1) << 40)})}, {},
                          {value_info("x", kFloat, {1, 4, 2, 2})}, {value_info("y")});
    CHECK(error_of([&] { import_bytes(d2s); }) ==
          "DepthToSpace blocksize out of range at crafted node 'd' (DepthToSpace): blocksize 1099511627776 is more than 2^20");
    const Buf unpool = model({node("MaxUnpool", "u", {"x", "i"}, {"y"}, {attr_ints("kernel_shape", {2}), attr_ints("strides", {int64_t(1) << 40})})},
                             {}, {value_info("x", kFloat, {1, 1, (1 << 24) + 1}), value_info("i", kInt64, {1, 1, (1 << 24) + 1})},
                             {value_info("y")});
    CHECK(error_of([&] { import_bytes(unpool); }) ==
          "MaxUnpool output size overflows at crafted node 'u' (MaxUnpool): 16777216 * 1099511627776 does not fit 64 bits");
    const Buf col2im = model({node("Col2Im", "c", {"x", "img", "blk"}, {"y"})}, {i64_tensor("img", {4}), i64_tensor("blk", {int64_t(1) << 41})},
                             {value_info("x", kFloat, {1, 2, 3})}, {value_info("y")});
    CHECK(error_of([&] { import_bytes(col2im); }) ==
          "Col2Im shapes out of range at crafted node 'c' (Col2Im): image_shape [4], block_shape [2199023255552]; each at most 2^40");
    const Buf resize = model({node("Resize", "r", {"x", "", "sc"}, {"y"})}, {f32_tensor("sc", {1.0f, 1.0f, 1e30f})},
                             {value_info("x", kFloat, {1, 1, 4})}, {value_info("y")});
    CHECK(error_of([&] { import_bytes(resize); }) ==
          "Resize output size overflows at crafted node 'r' (Resize): scales[2] = 1000000015047466219876688855040.000000 times 4 is "
          "more than 2^40 = 1099511627776");
    const Buf rnn = model({node("RNN", "n", {"x", "w", "r"}, {"y"}, {attr_int("hidden_size", int64_t(1) << 62)})}, {},
                          {value_info("x", kFloat, {1, 1, 2}), value_info("w", kFloat, {1, 3, 2}), value_info("r", kFloat, {1, 3, 3})},
                          {value_info("y")});
    CHECK(error_of([&] { import_bytes(rnn); }) ==
          "hidden_size 4611686018427387904 out of range at crafted node 'n' (RNN): at most 2^40 = 1099511627776");
    Buf w_raw(4, 0);
    const Buf convt = model({node("ConvTranspose", "t", {"x", "w"}, {"y"}, {attr_ints("strides", {int64_t(1) << 62, 1})})},
                            {tensor("w", kFloat, {1, 1, 1, 1}, &w_raw)}, {value_info("x", kFloat, {1, 1, 5, 5})}, {value_info("y")});
    CHECK(error_of([&] { import_bytes(convt); }) ==
          "ConvTranspose strides out of range at crafted node 't' (ConvTranspose): strides = [4611686018427387904,1]; at most 2^40 = "
          "1099511627776");
    const Buf convt2 = model({node("ConvTranspose", "t", {"x", "w"}, {"y"}, {attr_ints("strides", {int64_t(1) << 40, 1})})},
                             {tensor("w", kFloat, {1, 1, 1, 1}, &w_raw)}, {value_info("x", kFloat, {1, 1, 1 << 24, 5})}, {value_info("y")});
    CHECK(error_of([&] { import_bytes(convt2); }) ==
          "ConvTranspose output size overflows at crafted node 't' (ConvTranspose): spatial dim 0: 1099511627776 * 16777215 does not fit "
          "64 bits");
}

TEST_CASE("a negative graph input dimension is refused, not taken for an unknown one (-1 stays unknown)") {
    const Buf m = model({node("Relu", "r", {"x"}, {"y"})}, {}, {value_info("x", kFloat, {1, -9})}, {value_info("y")});
    CHECK(error_of([&] { import_bytes(m); }) ==
          "negative dimension in graph input at crafted input 'x': dimension 1 is -9; a dimension is a size >= 0 or a name (dim_param)");
    // -1, which some exporters write for "unknown", imports as an unknown dimension.
    const Buf ok = model({node("Relu", "r", {"x"}, {"y"})}, {}, {value_info("x", kFloat, {1, -1})}, {value_info("y")});
    const Graph g = import_bytes(ok);
    CHECK(g.value(g.inputs[0]).shape.str() == Shape{1, -1}.str());
}

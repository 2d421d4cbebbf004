// Parity of the OpenCL executor (PoCL in CI) with the CPU executor: every model in models/ and
// ../shared/data/models, and every ONNX backend test folder in ../shared/data/onnx, run on both
// and compared within 1e-4 relative (1e-5 absolute near zero); the nine ONNX "light" ImageNet
// models (input arange(n)/n) also against their reference outputs. Prints the parity table (per
// model and conformance set: cases, worst relative error). Also checks run_trace / run_from.
//
// The fallback set (nodes that run their CPU kernel because their op or dtype has no OpenCL
// kernel) is asserted exactly for every model: a parity test whose nodes all fell back would
// compare the CPU with itself. And every op whose OpDef has an OpenCL planner is run on the device
// with the CPU fallback off, over the ONNX node tests (registry-driven: a new op with a kernel is
// covered without editing this file, and one without a node test fails here).
#include "opencl_test_util.hpp"

#include <chrono>
#include <cstdio>
#include <map>

using namespace mutiny;
using namespace octest;

#if MUTINY_WITH_OPENCL

namespace {

std::vector<fs::path> model_files() {
    std::vector<fs::path> v;
    for (const auto& e : fs::directory_iterator(fs::path(MUTINY_SOURCE_DIR) / "models"))
        if (e.path().extension() == ".onnx") v.push_back(e.path());
    const fs::path shared = fs::path(MUTINY_SHARED_DATA) / "models";
    if (fs::exists(shared))
        for (const auto& e : fs::recursive_directory_iterator(shared))
            if (e.path().extension() == ".onnx") v.push_back(e.path());
    std::sort(v.begin(), v.end());
    return v;
}

// The nodes each model runs on the CPU under OpenCL ("name (Op)"), as fallback_nodes() lists them:
// none. Every op of the shipped models (the int8 QDQ LeNet-5's QuantizeLinear, DequantizeLinear and
// Pad of int8 values included) and of the nine light ImageNet models (Dropout with its mask) runs
// on the device.
const std::map<std::string, std::vector<std::string>>& expected_fallbacks() {
    static const std::map<std::string, std::vector<std::string>> m = {
        {"fashion_fcnn.onnx", {}},
        {"fashion_lenet5.onnx", {}},
        {"fashion_resnet.onnx", {}},
        {"fashion_lenet5_int8.onnx", {}},
        {"mnist_pytorch_mlp_bn.onnx", {}},
        {"opt-mnist.onnx", {}},
        {"model.onnx", {}},  // mnist-8
        {"light_bvlc_alexnet", {}},
        {"light_densenet121", {}},
        {"light_inception_v1", {}},
        {"light_inception_v2", {}},
        {"light_resnet50", {}},
        {"light_shufflenet", {}},
        {"light_squeezenet", {}},
        {"light_vgg19", {}},
        {"light_zfnet512", {}},
    };
    return m;
}

void check_fallbacks(const std::string& model, const std::vector<std::string>& got) {
    const auto& m = expected_fallbacks();
    auto it = m.find(model);
    if (it == m.end()) {
        FAIL_CHECK("no expected fallback set for " << model << " (add it to expected_fallbacks())");
        return;
    }
    CHECK_MESSAGE(got == it->second, model << ": fallback nodes differ from the expected set");
}

// A node test with every input after the first bound as a constant (from its first data set): the
// form a real model has, where weights and normalisation parameters are initializers. Ops whose
// kernels need constant parameters (BatchNormalization) run on the device only in this form.
bool load_case_weights_bound(const fs::path& dir, Case& c) {
    try {
        const fs::path set0 = dir / "test_data_set_0";
        if (!fs::is_directory(set0)) return false;
        const auto files = numbered_files(set0, "input_");
        if (files.size() < 2) return false;
        const onnx::ModelProto mp = onnx::load_model((dir / "model.onnx").string());
        const OnnxImportOptions opt = bound_inputs(mp, files, [](size_t k, const Tensor&) { return k > 0; });
        if (opt.bind.empty()) return false;
        c.graph = import_onnx(mp, (dir / "model.onnx").string(), opt);
        c.inputs = {{load_onnx_tensor(files.front())}};
        return true;
    } catch (const Error&) {
        return false;
    }
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? "-" : s;
}

}  // namespace

TEST_CASE("models: OpenCL matches the CPU executor") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    std::string table = "model | batch | max rel err | worst err/allowed | fallback nodes\n";
    for (const auto& f : model_files()) {
        CAPTURE(f.string());
        const Graph g = load_model(f.string());
        CpuOptions co;
        co.threads = 2;
        CpuExecutor cpu(g, co);
        OpenClExecutor ocl(g);
        bool batched = false;
        for (int id : g.inputs)
            for (auto d : g.value(id).shape) batched = batched || d < 0;
        const int64_t batch = batched ? 3 : 1;  // an odd batch size: tails of every loop
        const auto in = random_inputs(g, batch, 7);
        const auto want = cpu.run(in);
        const auto got = ocl.run(in);
        REQUIRE(got.size() == want.size());
        Diff worst;
        for (size_t o = 0; o < want.size(); ++o) {
            const Diff d = compare(got[o], want[o]);
            CHECK_MESSAGE(d.detail.empty(), d.detail);
            worst.ratio = std::max(worst.ratio, d.ratio);
            worst.max_rel = std::max(worst.max_rel, d.max_rel);
        }
        CHECK(worst.ratio <= 1.0);
        const auto fallbacks = ocl.fallback_nodes(batch);
        check_fallbacks(f.filename().string(), fallbacks);
        char row[512];
        std::snprintf(row, sizeof row, "%s | %lld | %.3g | %.3g | %s\n", f.filename().string().c_str(), static_cast<long long>(batch),
                      worst.max_rel, worst.ratio, joined(fallbacks).c_str());
        table += row;
    }
    MESSAGE("parity, models (OpenCL vs CPU):\n" << table);
}

TEST_CASE("conformance sets: OpenCL matches the CPU executor") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const fs::path root = fs::path(MUTINY_SHARED_DATA) / "onnx";
    MUTINY_DATA_OR_SKIP(root);
    std::string table = "set | compared | not runnable on the CPU | max rel err | worst err/allowed | fallback nodes\n";
    for (const char* set : {"node", "pytorch-converted"}) {
        const fs::path dir = root / set;
        if (!fs::exists(dir)) continue;
        std::vector<fs::path> cases;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.is_directory()) cases.push_back(e.path());
        std::sort(cases.begin(), cases.end());
        int compared = 0, skipped = 0;
        size_t fallbacks = 0;
        double max_rel = 0, ratio = 0;
        for (const auto& c : cases) {
            CAPTURE(c.string());
            Case k;
            std::string why;
            if (!load_case(c, k, why)) {
                ++skipped;
                continue;
            }
            std::vector<std::vector<Tensor>> want;
            try {
                CpuOptions co;
                co.threads = 2;
                CpuExecutor cpu(k.graph, co);
                for (const auto& in : k.inputs) want.push_back(cpu.run(in));
            } catch (const Error&) {
                ++skipped;  // the CPU executor cannot run it either (unsupported op or dtype)
                continue;
            }
            OpenClExecutor ocl(k.graph);
            for (size_t s = 0; s < k.inputs.size(); ++s) {
                std::vector<Tensor> got;
                try {
                    got = ocl.run(k.inputs[s]);
                } catch (const Error& e) {
                    FAIL_CHECK(e.what());
                    continue;
                }
                REQUIRE(got.size() == want[s].size());
                for (size_t o = 0; o < got.size(); ++o) {
                    const Diff d = compare(got[o], want[s][o]);
                    CHECK_MESSAGE(d.detail.empty(), d.detail);
                    CHECK_MESSAGE(d.ratio <= 1.0, "output " << o << ": worst error " << d.ratio << " x the tolerance");
                    max_rel = std::max(max_rel, d.max_rel);
                    ratio = std::max(ratio, d.ratio);
                }
            }
            fallbacks += ocl.fallback_nodes(ocl.batch_of(k.inputs.front())).size();
            ++compared;
        }
        char row[512];
        std::snprintf(row, sizeof row, "%s | %d | %d | %.3g | %.3g | %zu\n", set, compared, skipped, max_rel, ratio, fallbacks);
        table += row;
    }
    MESSAGE("parity, conformance sets (OpenCL vs CPU):\n" << table);
}

TEST_CASE("ONNX light ImageNet models: OpenCL matches the CPU executor and the reference") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const fs::path dir = fs::path(MUTINY_SHARED_DATA) / "onnx" / "light";
    MUTINY_DATA_OR_SKIP(dir);
    std::string table = "light model | max rel err vs CPU | worst err/allowed | max rel err vs reference | fallback nodes | OpenCL s\n";
    for (const char* name : {"light_bvlc_alexnet", "light_densenet121", "light_inception_v1", "light_inception_v2",
                             "light_resnet50", "light_shufflenet", "light_squeezenet", "light_vgg19", "light_zfnet512"}) {
        CAPTURE(name);
        const Graph g = load_onnx((dir / (std::string(name) + ".onnx")).string());
        const Value& v = g.value(g.inputs.at(0));
        Shape s = v.shape;
        for (auto& d : s.dims())
            if (d < 0) d = 1;
        Tensor in(DType::f32, s);
        for (int64_t i = 0; i < in.numel(); ++i) in.data<float>()[i] = static_cast<float>(i) / static_cast<float>(in.numel());
        const Tensor ref = load_onnx_tensor((dir / (std::string(name) + "_output_0.pb")).string());
        CpuOptions co;
        co.threads = 2;
        const Tensor want = CpuExecutor(g, co).run({in})[0];
        OpenClExecutor ocl(g);
        const auto t0 = std::chrono::steady_clock::now();
        const Tensor got = ocl.run({in})[0];
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const Diff d = compare(got, want), r = compare(got, ref);
        CHECK_MESSAGE(d.detail.empty(), d.detail);
        CHECK(d.ratio <= 1.0);
        CHECK(r.ratio <= 1.0);
        const auto fallbacks = ocl.fallback_nodes(1);
        check_fallbacks(name, fallbacks);
        char row[512];
        std::snprintf(row, sizeof row, "%s | %.3g | %.3g | %.3g | %s | %.2f\n", name, d.max_rel, d.ratio, r.max_rel,
                      joined(fallbacks).c_str(), secs);
        table += row;
    }
    MESSAGE("parity, ONNX light models (OpenCL vs CPU and reference):\n" << table);
}

TEST_CASE("every op with an OpenCL kernel runs on the device, CPU fallback off, over the ONNX node tests") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    // The repository's own ONNX node tests (tools/make_onnx_node_tests.py: ops newer than ONNX 1.12)
    // always exist; the data-set roots are checked below.
    std::vector<fs::path> roots{fs::path(MUTINY_SHARED_DATA) / "onnx" / "node", fs::path("/usr/share/libonnx-testdata/data/node")};
    roots.erase(std::remove_if(roots.begin(), roots.end(), [](const fs::path& r) { return !fs::exists(r); }), roots.end());
    roots.push_back(fs::path(MUTINY_SOURCE_DIR) / "tests" / "fixtures" / "onnx_node");
    if (roots.size() == 1) {
        MESSAGE("skipped: no ONNX node tests (../shared/data/onnx/node, libonnx-testdata)");
        return;
    }
    const Registry& reg = Registry::instance();
    std::map<std::string, int> on_device, other_dtype;  // op -> cases run on the device / refused for their dtypes
    for (const auto& name : reg.names())
        if (reg.find(name)->plan_opencl) on_device[name] = 0;
    int cases = 0;
    for (const auto& root : roots) {
        std::vector<fs::path> dirs;
        for (const auto& e : fs::directory_iterator(root))
            if (e.is_directory()) dirs.push_back(e.path());
        std::sort(dirs.begin(), dirs.end());
        for (const auto& dir : dirs) {
            Case k;
            std::string why;
            if (!load_case(dir, k, why) || k.graph.nodes.empty()) continue;
            // Only graphs whose every op has a kernel: one without would need the fallback.
            bool all = true;
            for (const Node& n : k.graph.nodes) all = all && on_device.count(n.op);
            if (!all) continue;
            CAPTURE(dir.string());
            // As the test has it, then (when refused) with its parameters bound as constants.
            std::vector<std::vector<Tensor>> want, got;
            bool ran = false, bound_retry = false;
            while (true) {
                want.clear();
                got.clear();
                try {
                    CpuExecutor cpu(k.graph);
                    for (const auto& in : k.inputs) want.push_back(cpu.run(in));
                } catch (const Error&) {
                    break;  // not runnable on the CPU either (an unsupported dtype or attribute)
                }
                OpenClOptions oo;
                oo.cpu_fallback = false;
                try {
                    OpenClExecutor ocl(k.graph, oo);
                    for (const auto& in : k.inputs) got.push_back(ocl.run(in));
                    ran = true;
                    break;
                } catch (const Error& e) {
                    // Refused at planning: the op's kernels lack this dtype (integers; f64 without
                    // cl_khr_fp64) or need constant parameters, or a shape follows a fed value (Resize
                    // scales). Anything else is a failure.
                    const std::string what = e.what();
                    const bool refused = what.find("no OpenCL kernel for op") != std::string::npos || what.find("lacks cl_khr_fp64") != std::string::npos ||
                                         what.find(opencl::kDataDependentReason) != std::string::npos;
                    CHECK_MESSAGE(refused, what);
                }
                if (bound_retry || !load_case_weights_bound(dir, k)) break;
                bound_retry = true;
            }
            if (!ran) {
                for (const Node& n : k.graph.nodes) ++other_dtype[n.op];
                continue;
            }
            ++cases;
            for (size_t s = 0; s < got.size(); ++s)
                for (size_t o = 0; o < got[s].size(); ++o) {
                    const Diff d = compare(got[s][o], want[s][o]);
                    CHECK_MESSAGE(d.detail.empty(), d.detail);
                    CHECK_MESSAGE(d.ratio <= 1.0, "output " << o << ": worst error " << d.ratio << " x the tolerance");
                }
            for (const Node& n : k.graph.nodes) ++on_device[n.op];
        }
    }
    std::string table = "op | node tests run on the device | refused (dtype, run-time parameters)\n", missing;
    for (const auto& kv : on_device) {
        table += kv.first + " | " + std::to_string(kv.second) + " | " + std::to_string(other_dtype[kv.first]) + "\n";
        if (kv.second == 0) missing += " " + kv.first;
    }
    MESSAGE("ops with an OpenCL kernel, run with the CPU fallback off (" << cases << " node tests):\n" << table);
    CHECK_MESSAGE(missing.empty(), "ops with an OpenCL planner that no node test ran on the device:" << missing);
}

namespace {

// Runs g (inputs `in`) on the CPU and on the device, checks that every node ran on the device and
// that every output is the CPU's bit for bit; returns the device's outputs.
std::vector<Tensor> device_bitwise(const Graph& g, const std::vector<Tensor>& in, const OpenClOptions& oo = {}) {
    CpuOptions co;
    co.threads = 2;
    co.sites = oo.sites;
    OpenClExecutor ocl(g, oo);
    const auto host = ocl.fallback_nodes(ocl.batch_of(in));
    CHECK_MESSAGE(host.empty(), "on the host: " << joined(host));
    const auto want = CpuExecutor(g, co).run(in);
    const auto got = ocl.run(in);
    REQUIRE(got.size() == want.size());
    for (size_t o = 0; o < got.size(); ++o) CHECK_MESSAGE(got[o].bitwise_equal(want[o]), "output " << o << " differs from the CPU's");
    return got;
}

// x's values (exact in every dtype used here) as dtype t.
Tensor converted(const Tensor& x, DType t) {
    Tensor y(t, x.shape());
    dispatch_dtype(t, [&](auto tag) {
        using T = decltype(tag);
        for (int64_t i = 0; i < x.numel(); ++i) static_cast<T*>(y.raw())[i] = static_cast<T>(static_cast<float>(x.get_f64(i)));
    });
    return y;
}

std::vector<int64_t> ints_of(const Tensor& t) {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.get_i64(i));
    return v;
}

}  // namespace

TEST_CASE("QuantizeLinear on the device: half to even, saturation, NaN and every rounding site as the CPU") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    GraphBuilder b("q");
    const auto x = b.input("x", DType::f32, {10});
    b.output(b.node("QuantizeLinear", {x, b.constant("s", Tensor::scalar<float>(0.5f)), b.constant("z", Tensor::scalar<int8_t>(3))}, {}, "n"));
    const Graph g = b.build();
    // x / 0.5: 0.5, 1.5, -0.5, -1.5 (ties), 200, -200 (saturate), NaN (the zero point), +-2e30, 2.6.
    const Tensor in = Tensor::from_vector<float>({10}, {0.25f, 0.75f, -0.25f, -0.75f, 100.0f, -100.0f, std::nanf(""), 1e30f, -1e30f, 1.3f});
    using R = SiteConfig::Round;
    const std::vector<std::pair<R, std::vector<int64_t>>> modes = {
        {R::none, {3, 5, 3, 1, 127, -128, 3, 127, -128, 6}},        {R::half_away, {4, 5, 2, 1, 127, -128, 3, 127, -128, 6}},
        {R::toward_zero, {3, 4, 3, 2, 127, -128, 3, 127, -128, 5}}, {R::floor, {3, 4, 2, 1, 127, -128, 3, 127, -128, 5}},
        {R::ceil, {4, 5, 3, 2, 127, -128, 3, 127, -128, 6}}};
    for (const auto& m : modes) {
        CAPTURE(static_cast<int>(m.first));
        OpenClOptions oo;
        oo.sites.round = m.first;
        CHECK(ints_of(device_bitwise(g, {in}, oo)[0]) == m.second);
    }
    // Per axis to uint16 and per block to int16, from float16 and float64 input.
    for (const DType xt : {DType::f16, DType::f64}) {
        CAPTURE(dtype_name(xt));
        GraphBuilder a("qa");
        const auto xa = a.input("x", xt, {2, 4, 3});
        Attributes ax;
        ax.set_int("axis", 1);
        a.output(a.node("QuantizeLinear", {xa, a.constant("s", Tensor::from_vector<float>({4}, {0.5f, 0.25f, 3.0f, 0.01f})),
                                            a.constant("z", Tensor::from_vector<uint16_t>({4}, {0, 7, 65530, 100}))},
                        ax, "n"));
        Attributes bl;
        bl.set_int("axis", 1);
        bl.set_int("block_size", 2);
        a.output(a.node("QuantizeLinear", {xa, a.constant("sb", Tensor::from_vector<float>({2, 2, 3}, {0.5f, 1, 2, 4, 8, 0.1f, 0.3f, 0.7f, 9, 1, 2, 3})),
                                            a.constant("zb", Tensor::from_vector<int16_t>({2, 2, 3}, {0, 1, -2, 3, -4, 5, 32767, -32768, 0, 9, 8, 7}))},
                        bl, "nb"));
        Tensor xin(DType::f32, {2, 4, 3});
        for (int64_t i = 0; i < xin.numel(); ++i) xin.data<float>()[i] = static_cast<float>(i - 11) * 0.375f;
        device_bitwise(a.build(), {converted(xin, xt)});
    }
}

TEST_CASE("DequantizeLinear on the device: every int8, uint8 and int32 value as the CPU, per tensor and per axis") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    GraphBuilder b("dq");
    const auto x8 = b.input("x8", DType::i8, {2, 128});
    const auto u8 = b.input("u8", DType::u8, {256});
    const auto x32 = b.input("x32", DType::i32, {4});
    Attributes ax;
    ax.set_int("axis", 0);
    b.output(b.node("DequantizeLinear", {x8, b.constant("s", Tensor::from_vector<float>({2}, {0.1f, 0.37f})), b.constant("z", Tensor::from_vector<int8_t>({2}, {-3, 7}))}, ax, "a"));
    b.output(b.node("DequantizeLinear", {u8, b.constant("su", Tensor::scalar<float>(0.0039f)), b.constant("zu", Tensor::scalar<uint8_t>(128))}, {}, "b"));
    b.output(b.node("DequantizeLinear", {x32, b.constant("sh", Tensor::scalar<half>(half(0.3f)))}, {}, "c"));
    Tensor a(DType::i8, {2, 128}), u(DType::u8, {256});
    for (int i = 0; i < 256; ++i) {
        static_cast<int8_t*>(a.raw())[i] = static_cast<int8_t>(i - 128);
        static_cast<uint8_t*>(u.raw())[i] = static_cast<uint8_t>(i);
    }
    const Tensor c = Tensor::from_vector<int32_t>({4}, {-2147483647, -5, 0, 123456789});
    const auto y = device_bitwise(b.build(), {a, u, c});
    // y = (x - zero point) * scale in float32.
    CHECK(y[0].data<float>()[0] == (-128.0f + 3.0f) * 0.1f);
    CHECK(y[0].data<float>()[255] == (127.0f - 7.0f) * 0.37f);
    CHECK(y[1].data<float>()[0] == -128.0f * 0.0039f);
    CHECK(y[2].dtype() == DType::f16);
}

TEST_CASE("data movement on the device for every element size: Pad, Slice, Split, Expand, Tile, Transpose, Dropout's mask") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    for (const DType t : {DType::u8, DType::i16, DType::f32, DType::i64}) {
        CAPTURE(dtype_name(t));
        GraphBuilder b("move");
        const auto x = b.input("x", t, {2, 3, 4});
        const auto i64 = [&](const std::string& n, std::vector<int64_t> v) {
            const int64_t k = static_cast<int64_t>(v.size());
            return b.constant(n, Tensor::from_vector<int64_t>({k}, std::move(v)));
        };
        // Pad: crop one side, pad the other, in every mode (reflect and wrap past the input's extent).
        for (const char* mode : {"constant", "reflect", "edge", "wrap"}) {
            Attributes m;
            m.set_string("mode", mode);
            std::vector<std::string> ins{x, i64(std::string("p_") + mode, {1, -1, 5, 0, 2, 3})};
            if (std::string(mode) == "constant") ins.push_back(b.constant("v", converted(Tensor::scalar<float>(7), t)));
            b.output(b.node("Pad", ins, m, std::string("pad_") + mode));
        }
        b.output(b.node("Slice", {x, i64("st", {-1, 3}), i64("en", {-100, 0}), i64("axes", {2, 1}), i64("steps", {-2, -1})}, {}, "slice"));
        Attributes sa;
        sa.set_int("axis", 2);
        for (const auto& o : b.nodes("Split", {x, i64("parts", {1, 3})}, 2, sa, "split")) b.output(o);
        b.output(b.node("Expand", {x, i64("shape", {3, 2, 1, 4})}, {}, "expand"));
        b.output(b.node("Tile", {x, i64("reps", {2, 1, 3})}, {}, "tile"));
        Attributes perm;
        perm.set_ints("perm", {2, 0, 1});
        b.output(b.node("Transpose", {x}, perm, "transpose"));
        for (const auto& o : b.nodes("Dropout", {x}, 2, {}, "dropout")) b.output(o);
        Tensor xin(DType::f32, {2, 3, 4});
        for (int64_t i = 0; i < xin.numel(); ++i) xin.data<float>()[i] = static_cast<float>(i * 5 % 23);
        const auto y = device_bitwise(b.build(), {converted(xin, t)});
        // Pad (constant): a padded first row of 7s; Slice reversed (x[0, 2, 3] first).
        CHECK(y[0].shape() == Shape{3, 4, 12});
        CHECK(y[0].get_f64(0) == 7);
        CHECK(y[4].shape() == Shape{2, 2, 2});
        CHECK(y[4].get_f64(0) == xin.data<float>()[2 * 4 + 3]);
        CHECK(y.back().dtype() == DType::boolean);
    }
}

TEST_CASE("control flow runs on the host under OpenCL with the CPU's bits") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const fs::path root = fs::path(MUTINY_SOURCE_DIR) / "tests" / "fixtures" / "control_flow";
    // if_shapes and loop_count: the node's output shapes follow the condition or the trip count
    // (data-dependent), so it runs on the host per run, for that reason.
    for (const char* name : {"loop_runtime", "loop_until", "if_runtime", "scan_axes", "nested", "if_shapes", "loop_count"}) {
        CAPTURE(name);
        const Graph g = load_onnx((root / name / "model.onnx").string());
        CpuExecutor cpu(g);
        OpenClExecutor ocl(g);
        // If, Loop and Scan have no OpenCL kernel: each runs its CPU kernel on the host.
        size_t control = 0;
        for (const auto& n : ocl.fallback_nodes()) control += n.find("(If)") != std::string::npos || n.find("(Loop)") != std::string::npos ||
                                                              n.find("(Scan)") != std::string::npos;
        CHECK(control == 1);
        const bool data_dependent = std::string(name) == "if_shapes" || std::string(name) == "loop_count";
        const auto why = ocl.host_reasons();
        CHECK(std::count(why.begin(), why.end(), std::string(opencl::kDataDependentReason)) == (data_dependent ? 1 : 0));
        check_sets_bitwise(root / name, cpu, ocl);
    }
}

TEST_CASE("data-dependent shapes under OpenCL: the static part on the device, the rest on the host per run") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const fs::path root = fs::path(MUTINY_SOURCE_DIR) / "tests" / "fixtures" / "dynamic_shapes";
    for (const std::string name : {"data_dependent", "masked_cnn"}) {
        CAPTURE(name);
        const Graph g = load_onnx((root / name / "model.onnx").string());
        CpuExecutor cpu(g);
        OpenClExecutor ocl(g);
        // Exactly the data-dependent nodes (NonZero and every node after it, Unique, TopK,
        // Compress; masked_cnn's masking) run on the host for that reason; Gemm and Conv on the device.
        const auto why = ocl.host_reasons();
        size_t dd_nodes = 0, layers_on_device = 0;
        for (size_t n = 0; n < g.nodes.size(); ++n) {
            CAPTURE(g.nodes[n].name);
            const bool dd = g.value(g.nodes[n].outputs[0]).data_dependent;
            dd_nodes += dd;
            CHECK((why[n] == opencl::kDataDependentReason) == dd);
            layers_on_device += (g.nodes[n].op == "Gemm" || g.nodes[n].op == "Conv") && why[n].empty();
        }
        CHECK(dd_nodes >= 4);
        CHECK(layers_on_device == (name == "masked_cnn" ? 2u : 1u));
        const Tolerance ort_tol;  // the fixtures' tolerance (conformance's default)
        int sets = 0;
        for (int k = 0; fs::exists(root / name / ("test_data_set_" + std::to_string(k))); ++k, ++sets) {
            CAPTURE(k);
            const fs::path set = root / name / ("test_data_set_" + std::to_string(k));
            std::vector<Tensor> in;
            for (const auto& f : numbered_files(set, "input_")) in.push_back(load_onnx_tensor(f));
            const auto outs = numbered_files(set, "output_");
            const auto want = cpu.run(in), got = ocl.run(in);
            REQUIRE(got.size() == want.size());
            REQUIRE(got.size() == outs.size());
            for (size_t i = 0; i < got.size(); ++i) {
                CAPTURE(i);
                // The CPU's within the OpenCL parity tolerance; ONNX Runtime's within the fixture's.
                const Diff d = compare(got[i], want[i]);
                CHECK_MESSAGE(d.detail.empty(), d.detail);
                CHECK_MESSAGE(d.ratio <= 1.0, "worst error " << d.ratio << " x the tolerance");
                CHECK_MESSAGE(compare_tensors(got[i], load_onnx_tensor(outs[i]), ort_tol) == "", "against ONNX Runtime");
            }
            // A trace keeps the host's values too; running from any node gives the run's bits.
            const Trace tr = ocl.run_trace(in);
            for (size_t i = 0; i < got.size(); ++i) CHECK(tr[static_cast<size_t>(g.outputs[i])].bitwise_equal(got[i]));
            for (size_t first : {size_t(0), g.nodes.size() / 2, g.nodes.size() - 1}) {
                const auto z = ocl.run_from(tr, first);
                for (size_t i = 0; i < got.size(); ++i) CHECK(z[i].bitwise_equal(got[i]));
                // A campaign's suffix executor from that node reads the base's values, on the
                // device and (data-dependent ones) on the host.
                OpenClExecutor suffix(g, {}, ocl, first, {});
                ocl.run(in);
                const auto zs = suffix.run(in);
                for (size_t i = 0; i < got.size(); ++i) CHECK(zs[i].bitwise_equal(got[i]));
            }
        }
        CHECK(sets >= 3);
    }
    // With the CPU fallback off, such a node is refused, named, with the reason.
    GraphBuilder b("nonzero");
    b.output(b.node("NonZero", {b.input("x", DType::f32, Shape{2, 3})}, {}, "nz"));
    OpenClOptions off;
    off.cpu_fallback = false;
    const std::string e = mutiny_test::error_of([&] { OpenClExecutor(b.build(), off).prepare(1); });
    CHECK(mutiny_test::contains(e, "shape depends on data at node 'nz' (NonZero)"));
    CHECK(mutiny_test::contains(e, "set OpenClOptions::cpu_fallback"));
}

TEST_CASE("OpenCL re-plans per input shapes: a symbolic sequence length and image size") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const fs::path root = fs::path(MUTINY_SOURCE_DIR) / "tests" / "fixtures" / "dynamic_shapes";
    for (const std::string name : {"seq_reshape", "image_size"}) {
        CAPTURE(name);
        const Graph g = load_onnx((root / name / "model.onnx").string());
        CpuExecutor cpu(g);
        OpenClExecutor ocl(g);  // one executor for every size
        // Shape arithmetic is written when a size is planned; every other node has a kernel but
        // ReduceMean (the reduce family has no OpenCL kernels yet).
        std::string host;
        for (const auto& n : ocl.fallback_nodes()) host += " " + n;
        CHECK(host == (name == "seq_reshape" ? " ReduceMean_13 (ReduceMean)" : ""));
        int sets = 0;
        for (int k = 0; fs::exists(root / name / ("test_data_set_" + std::to_string(k))); ++k, ++sets) {
            CAPTURE(k);
            std::vector<Tensor> in;
            for (const auto& f : numbered_files(root / name / ("test_data_set_" + std::to_string(k)), "input_")) in.push_back(load_onnx_tensor(f));
            const auto want = cpu.run(in), got = ocl.run(in);
            REQUIRE(got.size() == want.size());
            for (size_t i = 0; i < got.size(); ++i) {
                const Diff d = compare(got[i], want[i]);
                CHECK_MESSAGE(d.detail.empty(), d.detail);
                CHECK_MESSAGE(d.ratio <= 1.0, "worst error " << d.ratio << " x the tolerance");
            }
        }
        CHECK(sets == 4);
    }
}

TEST_CASE("run_trace and run_from reproduce run on OpenCL") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const fs::path f = fs::path(MUTINY_SOURCE_DIR) / "models" / "fashion_lenet5.onnx";
    MUTINY_DATA_OR_SKIP(f);
    const Graph g = load_model(f.string());
    OpenClExecutor ocl(g);
    const auto in = random_inputs(g, 2, 3);
    const auto y = ocl.run(in);
    const Trace tr = ocl.run_trace(in);
    REQUIRE(tr.size() == g.values.size());
    for (size_t o = 0; o < y.size(); ++o) CHECK(tr[static_cast<size_t>(g.outputs[o])].bitwise_equal(y[o]));
    CpuOptions co;
    co.threads = 2;
    CpuExecutor cpu(g, co);
    const Trace ctr = cpu.run_trace(in);
    for (size_t v = 0; v < tr.size(); ++v) {
        CAPTURE(g.values[v].name);
        CHECK(compare(tr[v], ctr[v]).ratio <= 1.0);
    }
    for (size_t first : {size_t(0), g.nodes.size() / 2, g.nodes.size() - 1, g.nodes.size()}) {
        CAPTURE(first);
        const auto z = ocl.run_from(tr, first);
        for (size_t o = 0; o < y.size(); ++o) CHECK(z[o].bitwise_equal(y[o]));
        // A trace from the CPU executor feeds the OpenCL one too.
        const auto zc = ocl.run_from(ctr, first);
        for (size_t o = 0; o < y.size(); ++o) CHECK(compare(zc[o], y[o]).ratio <= 1.0);
    }
    CHECK(ocl.batch_of_trace(tr) == 2);
}

#else
TEST_CASE("OpenCL parity") { mutiny_test::missing("OpenCL support (built without MUTINY_WITH_OPENCL)"); }
#endif

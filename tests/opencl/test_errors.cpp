// Bad input on the OpenCL backend: a device that does not exist, a kernel build failure (the error
// carries the build log), device memory exhausted, an op without a kernel when the CPU fallback is
// off, bad traces; and a failing executor leaves another one's results intact. The device-query
// stubs (MUTINY_OPENCL_HIDE_EXTENSIONS, MUTINY_OPENCL_MEMORY_LIMIT) show a device without double or
// half precision, or with little memory.
#include "opencl_test_util.hpp"

#include <cstdlib>

using namespace mutiny;
using namespace octest;

#if MUTINY_WITH_OPENCL

namespace {

Graph relu_graph() {
    GraphBuilder b("relu");
    b.output(b.node("Relu", {b.input("x", DType::f32, {-1, 5})}, {}, "r"));
    return b.build();
}

using mutiny_test::error_of;

}  // namespace

TEST_CASE("device discovery and selection") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const auto devs = opencl::list_devices();
    REQUIRE(!devs.empty());
    for (size_t i = 0; i < devs.size(); ++i) {
        CHECK(devs[i].index == static_cast<int>(i));
        CHECK(!devs[i].name.empty());
        CHECK(!devs[i].driver_version.empty());
    }
    CHECK(opencl::select_device("0").name == devs[0].name);
    // A substring of the name, any case.
    const std::string part = opencl::lower(devs[0].name.substr(0, std::min<size_t>(4, devs[0].name.size())));
    CHECK(opencl::select_device(part).index >= 0);
    // MUTINY_OPENCL_DEVICE applies when no device is named.
    ::setenv("MUTINY_OPENCL_DEVICE", "0", 1);
    CHECK(opencl::select_device().index == 0);
    ::setenv("MUTINY_OPENCL_DEVICE", "no-such-device-anywhere", 1);
    CHECK(error_of([] { opencl::select_device(); }).find("MUTINY_OPENCL_DEVICE") != std::string::npos);
    ::unsetenv("MUTINY_OPENCL_DEVICE");
}

TEST_CASE("no such device") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    OpenClOptions o;
    o.device = "99";
    const std::string e = error_of([&] { OpenClExecutor ex(relu_graph(), o); });
    CHECK(e.find("no OpenCL device 99") != std::string::npos);
    CHECK(e.find("devices:") != std::string::npos);  // lists what there is
    o.device = "frobnicator";
    CHECK(error_of([&] { OpenClExecutor ex(relu_graph(), o); }).find("no OpenCL device matching 'frobnicator'") != std::string::npos);
}

TEST_CASE("a kernel build failure raises an error carrying the build log") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    auto ctx = opencl::device_context(opencl::select_device());
    const std::string e = error_of([&] { ctx->build("__kernel void broken(__global float* x) { x[0] = undefined_name; }", ""); });
    CHECK(e.find("OpenCL program build failed") != std::string::npos);
    CHECK(e.find("build log") != std::string::npos);
    CHECK(e.find("undefined_name") != std::string::npos);
    // Through the executor: a bad build option breaks the prelude's site selection.
    OpenClOptions o;
    o.build_options = "-DMUTINY_STORE=(";
    const std::string e2 = error_of([&] { OpenClExecutor(relu_graph(), o).run({Tensor(DType::f32, {2, 5})}); });
    CHECK(e2.find("OpenCL program build failed") != std::string::npos);
    CHECK(e2.find("node 'r' (Relu)") != std::string::npos);
}

TEST_CASE("device memory exhausted") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    // Expand to 2^32 floats (16 GiB): more than any buffer the device allows; the plan fails before
    // allocating anything. The host's tensor limit (default half the physical memory) refuses it
    // first; lifted here so the device's own check is reached.
    GraphBuilder b("huge");
    const auto x = b.input("x", DType::f32, {1, 1});
    const auto s = b.constant("s", Tensor::from_vector<int64_t>({2}, {65536, 65536}));
    b.output(b.node("Expand", {x, s}, {}, "e"));
    const size_t saved = max_tensor_bytes();
    max_tensor_bytes() = size_t{1} << 40;
    // Building only infers shapes (nothing is allocated), so it must succeed.
    const Graph g = b.build();
    const std::string e = error_of([&] { OpenClExecutor(g).run({Tensor(DType::f32, {1, 1})}); });
    max_tensor_bytes() = saved;
    CHECK(e.find("out of device memory") != std::string::npos);
}

TEST_CASE("without the CPU fallback, an op lacking an OpenCL kernel is named at plan time") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    GraphBuilder b("cumsum");
    const auto x = b.input("x", DType::f32, {4});
    const auto ax = b.constant("ax", Tensor::scalar<int64_t>(0));
    b.output(b.node("CumSum", {x, ax}, {}, "sum"));
    const Graph g = b.build();
    OpenClOptions o;
    o.cpu_fallback = false;
    OpenClExecutor ex(g, o);
    const std::string e = error_of([&] { ex.prepare(1); });
    CHECK(e.find("no OpenCL kernel for op 'CumSum'") != std::string::npos);
    CHECK(e.find("node 'sum'") != std::string::npos);
    CHECK(e.find("no OpenCL kernel for the op; set OpenClOptions::cpu_fallback") != std::string::npos);
    // With the fallback (the default) it runs, on the CPU, and says why.
    OpenClExecutor fb(g);
    CHECK(fb.fallback_nodes(1) == std::vector<std::string>{"sum (CumSum)"});
    CHECK(fb.host_reasons(1) == std::vector<std::string>{"no OpenCL kernel for the op"});
    const Tensor y = fb.run({Tensor::from_vector<float>({4}, {1, 2, 3, 4})})[0];
    CHECK(y.to_vector<float>() == std::vector<float>{1, 3, 6, 10});
}

TEST_CASE("a node its kernel declines runs on the host with the reason") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    // Pad's constant fed at run time: the kernel takes it at plan time only.
    GraphBuilder b("pad");
    const auto x = b.input("x", DType::f32, {3});
    const auto pads = b.constant("pads", Tensor::from_vector<int64_t>({2}, {1, 2}));
    const auto v = b.input("v", DType::f32, {});
    b.output(b.node("Pad", {x, pads, v}, {}, "pad"));
    const Graph g = b.build();
    OpenClExecutor ex(g);
    CHECK(ex.host_reasons(1) == std::vector<std::string>{"pads, constant or axes computed at run time"});
    const Tensor y = ex.run({Tensor::from_vector<float>({3}, {1, 2, 3}), Tensor::scalar<float>(9)})[0];
    CHECK(y.to_vector<float>() == std::vector<float>{9, 1, 2, 3, 9, 9});
    // BatchNormalization's parameters fed at run time.
    GraphBuilder bn("bn");
    const auto bx = bn.input("x", DType::f32, {1, 2});
    const auto one = bn.constant("one", Tensor::from_vector<float>({2}, {1, 1}));
    const auto zero = bn.constant("zero", Tensor::from_vector<float>({2}, {0, 0}));
    bn.output(bn.node("BatchNormalization", {bx, bn.input("scale", DType::f32, {2}), zero, zero, one}, {}, "bn"));
    CHECK(OpenClExecutor(bn.build()).host_reasons(1) == std::vector<std::string>{"scale, bias, mean or variance computed at run time"});
    // A dtype the kernel lacks: the reason names the node's dtypes.
    GraphBuilder bi("add");
    const auto a = bi.input("a", DType::i32, {2});
    bi.output(bi.node("Add", {a, a}, {}, "add"));
    OpenClOptions o;
    o.cpu_fallback = false;
    OpenClExecutor ei(bi.build(), o);
    const std::string e = error_of([&] { ei.prepare(1); });
    CHECK(e.find("no OpenCL kernel for op 'Add' for i32") != std::string::npos);
    CHECK(e.find("its OpenCL kernel does not take i32, i32 -> i32") != std::string::npos);
}

TEST_CASE("bad inputs and traces; a failure leaves other executors' results intact") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const Graph g = relu_graph();
    OpenClExecutor good(g);
    const Tensor x = Tensor::from_vector<float>({1, 5}, {-1, 2, -3, 4, -5});
    const Tensor before = good.run({x})[0];
    OpenClExecutor bad(g);
    CHECK(error_of([&] { bad.run({Tensor(DType::f32, {1, 6})}); }).find("wrong input shape") != std::string::npos);
    CHECK(error_of([&] { bad.run({Tensor(DType::i64, {1, 5})}); }).find("wrong input dtype") != std::string::npos);
    CHECK(error_of([&] { bad.run_from(Trace(1), 0); }).find("trace does not fit the graph") != std::string::npos);
    Trace t = good.run_trace({x});
    t[static_cast<size_t>(g.inputs[0])] = Tensor();
    CHECK(!error_of([&] { bad.run_from(t, 0); }).empty());
    OpenClOptions broken;
    broken.build_options = "-DMUTINY_CMP=(";
    CHECK(!error_of([&] { OpenClExecutor(g, broken).run({x}); }).empty());
    CHECK(good.run({x})[0].bitwise_equal(before));
    CHECK(before.to_vector<float>() == std::vector<float>{0, 2, 0, 4, 0});
}

// Sets an environment variable for one test case, and unsets it whatever happens.
struct ScopedEnv {
    std::string name;
    ScopedEnv(const char* n, const char* v) : name(n) { ::setenv(n, v, 1); }
    ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

TEST_CASE("a device without cl_khr_fp64: an f64 node is refused without the CPU fallback, runs on the CPU with it") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    GraphBuilder b("relu64");
    b.output(b.node("Relu", {b.input("x", DType::f64, {1, 4})}, {}, "r"));
    const Graph g = b.build();
    const Tensor x = Tensor::from_vector<double>({1, 4}, {-1, 2, -3, 4});
    ScopedEnv hide("MUTINY_OPENCL_HIDE_EXTENSIONS", "cl_khr_fp64");
    const opencl::DeviceInfo d = opencl::select_device();
    CHECK(!d.fp64);
    CHECK(!d.has_extension("cl_khr_fp64"));
    OpenClOptions o;
    o.cpu_fallback = false;
    OpenClExecutor strict(g, o);
    const std::string e = error_of([&] { strict.run({x}); });
    CHECK(e.find("device lacks cl_khr_fp64") != std::string::npos);
    CHECK(e.find("node 'r'") != std::string::npos);
    CHECK(e.find("f64 tensors need double precision") != std::string::npos);
    OpenClExecutor fb(g);
    CHECK(fb.fallback_nodes(1).size() == 1);
    CHECK(fb.run({x})[0].to_vector<double>() == std::vector<double>{0, 2, 0, 4});
}

TEST_CASE("fp16 computation needs cl_khr_fp16: a device without it is an error naming the extension") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    ScopedEnv hide("MUTINY_OPENCL_HIDE_EXTENSIONS", "cl_khr_fp16");
    CHECK(!opencl::select_device().fp16);
    OpenClOptions o;
    o.fp16_compute = true;
    const std::string e = error_of([&] { OpenClExecutor ex(relu_graph(), o); });
    CHECK(e.find("device lacks cl_khr_fp16") != std::string::npos);
    CHECK(e.find("OpenCL device 0") != std::string::npos);
    // The default computes in float32 on the same device.
    CHECK(OpenClExecutor(relu_graph()).run({Tensor::from_vector<float>({1, 5}, {-1, 2, -3, 4, -5})})[0].to_vector<float>() ==
          std::vector<float>{0, 2, 0, 4, 0});
}

TEST_CASE("device-query stubs: a malformed extension name or memory size is refused naming the variable") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    {
        ScopedEnv bad("MUTINY_OPENCL_HIDE_EXTENSIONS", "fp64");
        const std::string e = error_of([] { opencl::select_device(); });
        CHECK(e.find("bad extension name 'fp64'") != std::string::npos);
        CHECK(e.find("MUTINY_OPENCL_HIDE_EXTENSIONS") != std::string::npos);
    }
    {
        ScopedEnv bad("MUTINY_OPENCL_MEMORY_LIMIT", "12Q");
        const std::string e = error_of([] { opencl::select_device(); });
        CHECK(e.find("bad memory size '12Q'") != std::string::npos);
        CHECK(e.find("MUTINY_OPENCL_MEMORY_LIMIT") != std::string::npos);
    }
}

TEST_CASE("a memory limit: the device reports it, and allocations past it fail as on a full device") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    ScopedEnv lim("MUTINY_OPENCL_MEMORY_LIMIT", "64K");
    const opencl::DeviceInfo d = opencl::select_device();
    CHECK(d.global_mem == 65536);
    CHECK(d.memory_limited);
    // 2 x 5 floats fit; a batch of 4,000 rows (80,000 bytes per value) does not.
    OpenClExecutor ex(relu_graph());
    CHECK(ex.run({Tensor::from_vector<float>({1, 5}, {-1, 2, -3, 4, -5})})[0].to_vector<float>() == std::vector<float>{0, 2, 0, 4, 0});
    const std::string e = error_of([&] { ex.run({Tensor(DType::f32, {4000, 5})}); });
    CHECK(e.find("out of device memory") != std::string::npos);
}

TEST_CASE("a suffix executor runs from its first node on the base's values, with the base's constants but its own") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    // y = relu(x * w1) * w2: the mutant edits w2 (node 1), so it runs node 1 only.
    GraphBuilder b("two");
    const auto x = b.input("x", DType::f32, {1, 3});
    const auto w1 = b.constant("w1", Tensor::from_vector<float>({1, 3}, {1, -2, 3}));
    const auto w2 = b.constant("w2", Tensor::from_vector<float>({1, 3}, {10, 10, 10}));
    const auto h = b.node("Relu", {b.node("Mul", {x, w1}, {}, "m1")}, {}, "r");
    b.output(b.node("Mul", {h, w2}, {}, "m2"));
    const Graph g = b.build();
    const int w2id = g.nodes.back().inputs[1];
    Graph mutant = g;
    auto& c = mutant.values[static_cast<size_t>(w2id)].constant;
    c = Tensor::from_vector<float>({1, 3}, {1, 2, 3});
    OpenClExecutor base(g);
    const Tensor in = Tensor::from_vector<float>({1, 3}, {1, 1, 1});
    CHECK(base.run({in})[0].to_vector<float>() == std::vector<float>{10, 0, 30});
    const size_t first = g.nodes.size() - 1;
    OpenClExecutor suffix(mutant, {}, base, first, {w2id});
    CHECK(suffix.first_node() == first);
    suffix.submit({in});
    CHECK(suffix.collect()[0].to_vector<float>() == std::vector<float>{1, 0, 9});
    // The same as the mutant run whole, and the original's values and weights untouched.
    CHECK(OpenClExecutor(mutant).run({in})[0].to_vector<float>() == std::vector<float>{1, 0, 9});
    CHECK(base.run({in})[0].to_vector<float>() == std::vector<float>{10, 0, 30});
    CHECK(error_of([&] { suffix.run_trace({in}); }).find("run_trace on a suffix executor") != std::string::npos);
    GraphBuilder ob("other");
    ob.output(ob.node("Relu", {ob.input("x", DType::f32, {1, 3})}, {}, "r"));
    CHECK(error_of([&] { OpenClExecutor(ob.build(), {}, base, 0, {}); }).find("not a suffix of the base executor") != std::string::npos);
}

#else
TEST_CASE("OpenCL errors") { mutiny_test::missing("OpenCL support (built without MUTINY_WITH_OPENCL)"); }
#endif

// The tiled GEMM (kernels/gemm.cl) behind Gemm, MatMul and Conv, and its tuner: results against the
// CPU executor for shapes that do not fill the tiles, the same bits whatever the tile parameters
// (the tuner cache only changes speed), the tuner cache's bad inputs (another device or driver, a
// corrupted file) and the tuner skipping a parameter set that does not build.
#include "opencl_test_util.hpp"

#include <cstring>
#include <fstream>
#include <unistd.h>

using namespace mutiny;
using namespace octest;

#if MUTINY_WITH_OPENCL

namespace {

Tensor random_tensor(const Shape& s, uint32_t seed) {
    std::vector<float> v(static_cast<size_t>(s.numel()));
    uint32_t x = seed;
    for (auto& e : v) {
        x = x * 1664525u + 1013904223u;
        e = static_cast<float>(x >> 8) / 8388608.0f - 1.0f;
    }
    return Tensor::from_vector<float>(s, v);
}

Graph one_node(const std::string& op, const Shape& xs, const std::vector<Tensor>& consts, const Attributes& at = {}) {
    GraphBuilder b("tiled_" + op);
    std::vector<std::string> ins{b.input("x", DType::f32, xs)};
    for (size_t i = 0; i < consts.size(); ++i) ins.push_back(b.constant("c" + std::to_string(i), consts[i]));
    b.output(b.node(op, ins, at, "n"));
    return b.build();
}

// The folders fresh_dir made, removed when the test program ends.
struct TempDirs {
    std::vector<fs::path> dirs;
    ~TempDirs() {
        std::error_code ec;
        for (const auto& d : dirs) fs::remove_all(d, ec);
    }
};
TempDirs temp_dirs;

// A fresh cache folder (gemm_params reads a folder once per process, so each case takes its own).
std::string fresh_dir(const std::string& name) {
    const auto d = fs::temp_directory_path() / ("mutiny-test-tune-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(d);
    fs::create_directories(d);
    temp_dirs.dirs.push_back(d);
    return d.string();
}

// A cache in a fresh folder holding `p` for every class.
std::string cache_with(const std::string& name, const opencl::GemmParams& p) {
    const std::string dir = fresh_dir(name);
    opencl::TuneCache c;
    for (const auto& cls : opencl::gemm_shape_classes()) c.gemm[cls] = p;
    opencl::write_tune_cache(dir, opencl::select_device(), opencl::gemm_source_hash(), c);
    return dir;
}

// Runs g on the CPU and on OpenCL with the cache in `dir` ("" = defaults); checks they agree
// within the parity tolerance and returns the OpenCL result.
Tensor run_checked(const Graph& g, const Tensor& x, const std::string& dir) {
    CpuOptions co;
    co.threads = 2;
    OpenClOptions oo;
    oo.binary_cache_dir = dir;
    CpuExecutor cpu(g, co);
    OpenClExecutor ocl(g, oo);
    const Tensor want = cpu.run({x})[0];
    const Tensor got = ocl.run({x})[0];
    const Diff d = compare(got, want);
    CHECK_MESSAGE(d.detail.empty(), d.detail);
    CHECK_MESSAGE(d.ratio <= 1.0, "OpenCL departs from the CPU: worst relative error " << d.max_rel);
    return got;
}

// Parameter sets unlike each other and unlike the defaults: vector widths 1, 2 and 8, register
// tiles 1x1 to 4x8, tiles bigger than the products, local and global memory operands (the last
// one the CPU default before tuning picked 8x8 register tiles).
const std::vector<opencl::GemmParams> kOthers{{8, 8, 8, 8, 8, 1, true},   {16, 32, 8, 4, 4, 2, true},
                                              {64, 64, 32, 16, 8, 8, true}, {16, 16, 8, 2, 8, 4, false},
                                              {32, 32, 16, 8, 8, 4, false}};

// The case runs `make` (graph, input) with the defaults and every kOthers cache: every result
// matches the CPU, and all are the same bits.
template <class F>
void same_bits_for_every_tiling(const std::string& name, F make) {
    const auto [g, x] = make();
    const Tensor base = run_checked(g, x, fresh_dir(name + "-default"));
    for (size_t i = 0; i < kOthers.size(); ++i) {
        CAPTURE(kOthers[i].str());
        const Tensor t = run_checked(g, x, cache_with(name + "-" + std::to_string(i), kOthers[i]));
        CHECK_MESSAGE(t.bitwise_equal(base), "the tile parameters changed the result's bits");
    }
}

}  // namespace

TEST_CASE("tiled GEMM: Gemm with transposes, alpha, beta and a broadcast bias, shapes that do not fill a tile") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
            CAPTURE(ta);
            CAPTURE(tb);
            same_bits_for_every_tiling("gemm" + std::to_string(ta) + std::to_string(tb), [&] {
                const int64_t M = 37, N = 53, K = 29;
                Attributes at;
                at.set_int("transA", ta);
                at.set_int("transB", tb);
                at.set_float("alpha", 0.75);
                at.set_float("beta", 1.5);
                const Tensor w = random_tensor(tb ? Shape{N, K} : Shape{K, N}, 7);
                const Tensor c = random_tensor(Shape{N}, 9);
                return std::make_pair(one_node("Gemm", ta ? Shape{K, M} : Shape{M, K}, {w, c}, at),
                                      random_tensor(ta ? Shape{K, M} : Shape{M, K}, 3));
            });
        }
}

TEST_CASE("tiled GEMM: batched MatMul with a broadcast right operand, and a narrow one") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    same_bits_for_every_tiling("matmul", [] {
        return std::make_pair(one_node("MatMul", {3, 2, 19, 70}, {random_tensor({70, 45}, 5)}), random_tensor({3, 2, 19, 70}, 4));
    });
    same_bits_for_every_tiling("matmul_narrow", [] {
        return std::make_pair(one_node("MatMul", {2, 300}, {random_tensor({300, 130}, 5)}), random_tensor({2, 300}, 4));
    });
}

TEST_CASE("tiled GEMM: convolutions (pointwise, padded and strided with fused im2col, dilated, grouped, 3-D, depthwise)") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    struct Case {
        std::string name;
        Shape x, w;
        std::vector<int64_t> strides, pads, dilations;
        int64_t group;
    };
    const std::vector<Case> cases{
        {"pointwise", {2, 24, 9, 11}, {40, 24, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1},
        {"pointwise_strided", {1, 16, 9, 9}, {20, 16, 1, 1}, {2, 2}, {0, 0, 0, 0}, {1, 1}, 1},
        {"padded_strided", {2, 5, 13, 12}, {33, 5, 3, 3}, {2, 1}, {1, 0, 2, 1}, {1, 1}, 1},
        {"dilated", {1, 7, 15, 15}, {9, 7, 3, 3}, {1, 1}, {2, 2, 2, 2}, {2, 2}, 1},
        {"grouped", {2, 12, 8, 8}, {18, 4, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 3},
        {"conv3d", {1, 3, 5, 6, 7}, {8, 3, 2, 3, 3}, {1, 1, 2}, {0, 1, 1, 0, 1, 1}, {1, 1, 1}, 1},
        {"depthwise", {1, 8, 10, 10}, {8, 1, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 8},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        same_bits_for_every_tiling("conv_" + c.name, [&] {
            Attributes at;
            at.set_ints("strides", c.strides);
            at.set_ints("pads", c.pads);
            at.set_ints("dilations", c.dilations);
            at.set_int("group", c.group);
            const Tensor w = random_tensor(c.w, 11);
            const Tensor bias = random_tensor(Shape{c.w[0]}, 13);
            return std::make_pair(one_node("Conv", c.x, {w, bias}, at), random_tensor(c.x, 17));
        });
    }
}

TEST_CASE("tuner cache: the executor's parameters come from a matching cache, never from another device's, a stale driver's or a corrupted one") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const auto dev = opencl::select_device();
    const std::string hash = opencl::gemm_source_hash();
    const opencl::GemmParams tuned{16, 32, 8, 4, 4, 2, true};
    const opencl::GemmParams def = opencl::default_gemm_params(dev, "large");
    REQUIRE_FALSE(tuned == def);

    const std::string good = cache_with("good", tuned);
    const auto r = opencl::read_tune_cache(good, dev, hash);
    CHECK(r.used);
    CHECK(r.message.empty());
    CHECK(opencl::gemm_params(dev, good, 256, 256, 512, 4) == tuned);

    // The same file rewritten as if made on another device, with another driver, or for other kernels.
    const auto rewrite = [&](const std::string& name, const std::string& from, const std::string& to) {
        const std::string dir = cache_with(name, tuned);
        const auto file = opencl::tune_cache_file(dir, dev);
        std::ifstream in(file);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        text.replace(at, from.size(), to);
        std::ofstream(file) << text;
        return dir;
    };
    const struct {
        std::string name, from, to, expect;
    } foreign[] = {
        {"device", "device " + dev.name, "device Other GPU 9000", "was made for device 'Other GPU 9000', this is '" + dev.name + "'"},
        {"driver", "driver " + dev.driver_version, "driver 0.0-old", "was made for driver '0.0-old'"},
        {"source", "source " + hash, "source 0123456789abcdef", "was made for source '0123456789abcdef'"},
    };
    for (const auto& f : foreign) {
        CAPTURE(f.name);
        const std::string dir = rewrite("foreign-" + f.name, f.from, f.to);
        const auto fr = opencl::read_tune_cache(dir, dev, hash);
        CHECK(fr.found);
        CHECK_FALSE(fr.used);
        CHECK(fr.message.rfind("note: tuner cache " + opencl::tune_cache_file(dir, dev).string(), 0) == 0);
        CHECK_MESSAGE(fr.message.find(f.expect) != std::string::npos, fr.message);
        CHECK(opencl::gemm_params(dev, dir, 256, 256, 512, 4) == def);
    }

    // Corrupted files: the warning names the file and the line.
    const struct {
        std::string name, text, expect;
    } corrupt[] = {
        {"empty", "", "line 0: empty file"},
        {"format", "format 2\n", "line 1: expected 'format 1', found 'format 2'"},
        {"params", "format 1\ndevice x\ngemm large 32x32x16/8x8\n", "line 3: '32x32x16/8x8' is not TMxTNxTK/WMxWN/VW"},
        {"class", "# made by hand\nformat 1\ngemm huge 32x32x16/8x8/4\n", "line 3: unknown shape class 'huge'"},
        {"entry", "format 1\n\x01\x02garbage\n", "line 2: unknown entry"},
        {"key", "format 1\ngemm large 32x32x16/8x8/4/g\n", "no 'device' line"},
    };
    for (const auto& c : corrupt) {
        CAPTURE(c.name);
        const std::string dir = fresh_dir("corrupt-" + c.name);
        std::ofstream(opencl::tune_cache_file(dir, dev)) << c.text;
        const auto cr = opencl::read_tune_cache(dir, dev, hash);
        CHECK_FALSE(cr.used);
        CHECK(cr.message.rfind("warning: tuner cache " + opencl::tune_cache_file(dir, dev).string() + " line ", 0) == 0);
        CHECK_MESSAGE(cr.message.find(c.expect) != std::string::npos, cr.message);
        CHECK(opencl::gemm_params(dev, dir, 256, 256, 512, 4) == def);
    }

    // No cache at all: the defaults, nothing to say.
    const auto none = opencl::read_tune_cache(fresh_dir("none"), dev, hash);
    CHECK_FALSE(none.found);
    CHECK(none.message.empty());
}

TEST_CASE("tuner: times the sets that run, skips one that does not build or does not fit, and picks per class") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const auto dev = opencl::select_device();
    auto ctx = opencl::device_context(dev);
    const opencl::GemmParams bad_vw{12, 12, 12, 4, 4, 3, true};     // the kernel's #error: vector width 3
    const opencl::GemmParams too_big{64, 64, 16, 64, 64, 4, false};  // 4096 work-items per group
    const opencl::GemmParams good{16, 16, 8, 4, 4, 4, true};
    const std::vector<opencl::GemmShape> shapes{{33, 40, 24}, {4, 70, 50}};
    const auto rs = opencl::tune_gemm(*ctx, shapes, {bad_vw, too_big, good}, 1);
    REQUIRE(rs.size() == 2);
    CHECK(rs[0].cls == "small");
    CHECK(rs[1].cls == "narrow");
    for (const auto& r : rs) {
        CAPTURE(r.shape.str());
        REQUIRE(r.trials.size() == 4);  // the class's default first
        CHECK(r.trials[0].params == opencl::default_gemm_params(dev, r.cls));
        CHECK(r.trials[0].ms >= 0);
        CHECK(r.trials[1].ms < 0);
        CHECK_MESSAGE(r.trials[1].skip.find("build failed: ") == 0, r.trials[1].skip);
        CHECK_MESSAGE(r.trials[1].skip.find("MUTINY_GEMM_VW must be 1, 2, 4, 8 or 16") != std::string::npos, r.trials[1].skip);
        if (dev.max_work_group < 4096) CHECK(r.trials[2].skip == "4096 work-items per group, the device allows " + std::to_string(dev.max_work_group));
        CHECK(r.trials[3].ms >= 0);
        CHECK(r.trials[3].skip.empty());
    }
    const auto best = opencl::best_per_class(rs);
    REQUIRE(best.size() == 2);
    for (const auto& kv : best) CHECK((kv.second == good || kv.second == opencl::default_gemm_params(dev, kv.first)));
}

#endif  // MUTINY_WITH_OPENCL

// Campaigns: verdicts and kill matrices identical with and without incremental execution and
// across batch sizes; a run interrupted after a checkpoint and resumed gives the same report
// (timings aside); a checkpoint from another campaign is refused; an unwritable output folder and
// a full disk give clear errors and leave the previous checkpoint intact.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/analysis/campaign.hpp>
#include <mutiny/model.hpp>
#include <mutiny/report/html.hpp>

#include <chrono>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace mutiny;

namespace {

const char* kData = "fashion-mnist:test@first=300";

std::string model_path() { return (mutiny_test::source_dir() / "models/fashion_fcnn.onnx").string(); }

// The report up to its "timing" section (which is the only part allowed to differ).
std::string without_timing(const std::string& json) { return json.substr(0, json.find("\"timing\"")); }

struct Setup {
    Graph g = load_model(model_path());
    std::unique_ptr<Dataset> ds = open_dataset(kData);
    std::vector<Mutant> mutants;
    Setup() {
        EnumerateOptions eo;
        eo.ops = {"vanilla"};
        mutants = enumerate_mutants(g, eo);
        mutants.resize(60);  // the first layer's CW/NAI/NEB mutants: enough, and quick
        EnumerateOptions k;
        k.ops = {"float32_to_int8", "replace_func_relu_to_sigmoid"};
        for (auto& m : enumerate_mutants(g, k)) mutants.push_back(m);
    }
    CampaignResult run(CampaignOptions opt) {
        Campaign c(g, mutants, *ds, Recipe("unit"), kData, std::move(opt), "fashion_fcnn", "test");
        return c.run();
    }
};

std::string tmpdir(const std::string& name) {
    const auto p = std::filesystem::temp_directory_path() / ("mutiny-test-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(p);
    return p.string();
}

}  // namespace

TEST_CASE("campaign: incremental, full re-execution and batch sizes agree bitwise") {
    MUTINY_FASHION_MNIST_OR_SKIP();  // each test case runs campaigns on Fashion-MNIST
    Setup s;
    CampaignOptions a;
    a.threads = 2;
    a.batch = 128;
    a.criteria = parse_criteria("prediction,killed-classes:mutant-label,statistical,distance:max=0.01");
    CampaignOptions b = a;
    b.incremental = false;
    b.batch = 300;
    b.threads = 1;
    const CampaignResult ra = s.run(a), rb = s.run(b);
    CHECK(without_timing(campaign_report_json(ra)) == without_timing(campaign_report_json(rb)));
    CHECK(campaign_kill_matrix(ra, 0) == campaign_kill_matrix(rb, 0));
    // Real verdicts: NAI kills on the first layer, and the kernel and graph mutants ran.
    const Score all = campaign_scores(ra, 0, 0, "").at("all");
    CHECK(all.mutants == static_cast<int64_t>(s.mutants.size()));
    CHECK(all.killed > 10);
    CHECK(all.survived > 0);
    CHECK(ra.original_correct[0] > 250);
    bool saw_graph = false;
    for (const auto& m : ra.mutants)
        if (m.mutant.spec.op == "replace_func_relu_to_sigmoid") {
            saw_graph = true;
            CHECK(m.runs[0].summary.inputs == 300);
            CHECK(m.runs[0].summary.prediction_kills > 0);
        }
    CHECK(saw_graph);
    const std::string html = campaign_report_html(ra);
    CHECK(html.find("<svg") != std::string::npos);
    CHECK(html.find("Kill ratio per operator") != std::string::npos);
}

TEST_CASE("campaign: resume after a checkpoint gives the uninterrupted report") {
    MUTINY_FASHION_MNIST_OR_SKIP();  // each test case runs campaigns on Fashion-MNIST
    Setup s;
    const std::string full_dir = tmpdir("full"), part_dir = tmpdir("part");
    CampaignOptions o;
    o.threads = 2;
    o.batch = 100;
    o.out_dir = full_dir;
    const CampaignResult full = s.run(o);
    // Interrupt after the first checkpoint: the progress callback throws once batch 1 is done
    // (steps per batch = mutants + 1), as a SIGKILL would stop it between checkpoints.
    CampaignOptions p = o;
    p.out_dir = part_dir;
    const int64_t per_batch = static_cast<int64_t>(s.mutants.size()) + 1;
    p.progress = [&](int64_t done, int64_t) {
        if (done == per_batch + 5) throw std::runtime_error("interrupted");
    };
    CHECK_THROWS_WITH(s.run(p), "interrupted");
    REQUIRE(std::filesystem::exists(part_dir + "/checkpoint.bin"));
    p.progress = nullptr;
    p.resume = true;
    const CampaignResult resumed = s.run(p);
    CHECK(resumed.resumed_at_batch == 1);
    CHECK(without_timing(campaign_report_json(resumed)) == without_timing(campaign_report_json(full)));
    // The kept outputs are the same bytes too.
    std::ifstream fa(full_dir + "/outputs-cpu.f32", std::ios::binary), fb(part_dir + "/outputs-cpu.f32", std::ios::binary);
    const std::string ba((std::istreambuf_iterator<char>(fa)), {}), bb((std::istreambuf_iterator<char>(fb)), {});
    CHECK(ba.size() == static_cast<size_t>((s.mutants.size() + 1) * 300 * 10 * 4));
    CHECK(ba == bb);

    SUBCASE("a checkpoint of another campaign is refused") {
        Setup other;
        other.mutants.resize(10);
        CampaignOptions q = p;
        Campaign c(other.g, other.mutants, *other.ds, Recipe("unit"), kData, q, "fashion_fcnn", "test");
        CHECK_THROWS_WITH_AS(c.run(), doctest::Contains("checkpoint belongs to another campaign"), Error);
    }
    std::filesystem::remove_all(full_dir);
    std::filesystem::remove_all(part_dir);
}

TEST_CASE("campaign: unwritable output folder and full disk") {
    MUTINY_FASHION_MNIST_OR_SKIP();  // each test case runs campaigns on Fashion-MNIST
    Setup s;
    const std::string file = tmpdir("file");
    { std::ofstream(file) << "x"; }
    CampaignOptions o;
    o.out_dir = file + "/sub";  // a folder under a regular file cannot exist
    CHECK_THROWS_WITH_AS(s.run(o), doctest::Contains("cannot create the output folder"), Error);
    std::filesystem::remove(file);
    // A full disk: /dev/full fails every write with ENOSPC (without it this part reports a skip).
    if (mutiny_test::have("/dev/full", "Linux's always-full device")) {
        const int fd = ::open("/dev/full", O_WRONLY);
        REQUIRE(fd >= 0);
        const uint8_t data[16] = {};
        CHECK_FALSE(write_all(fd, data, sizeof data));
        CHECK(errno == ENOSPC);
        ::close(fd);
    }
    // A failed durable write leaves the previous file as it was.
    const std::string dir = tmpdir("durable");
    std::filesystem::create_directories(dir);
    write_durable(dir + "/checkpoint.bin", std::string("old"));
    std::filesystem::create_directory(dir + "/.checkpoint.bin.tmp");  // the temporary name is taken by a folder
    CHECK_THROWS_WITH_AS(write_durable(dir + "/checkpoint.bin", std::string("new")), doctest::Contains("cannot write"), Error);
    std::ifstream f(dir + "/checkpoint.bin");
    std::string content;
    f >> content;
    CHECK(content == "old");
    std::filesystem::remove_all(dir);
}

TEST_CASE("campaign: bad setups are refused with the reason") {
    MUTINY_FASHION_MNIST_OR_SKIP();  // each test case runs campaigns on Fashion-MNIST
    Setup s;
    CampaignOptions o;
    o.batch = 0;
    CHECK_THROWS_WITH_AS(s.run(o), doctest::Contains("bad batch size"), Error);
    o.batch = 10;
    o.devices = {"tpu"};
    CHECK_THROWS_WITH_AS(s.run(o), doctest::Contains("unknown device 'tpu'"), Error);
    // A data set smaller than one batch is fine.
    CampaignOptions small;
    small.batch = 5000;
    s.mutants.resize(3);
    CHECK(s.run(small).mutants.size() == 3);
}

TEST_CASE("campaign: a negative label is refused, as eval refuses it") {
    // IDX labels may be 32-bit integers; a negative one once counted as "unlabelled" and changed
    // the accuracy and the statistical verdicts, with exit code 0.
    const std::string dir = tmpdir("neglabel");
    std::filesystem::create_directories(dir);
    auto be32 = [](std::vector<uint8_t>& v, uint32_t x) {
        for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
    };
    std::vector<uint8_t> images{0, 0, 0x08, 3}, labels{0, 0, 0x0C, 1};
    for (uint32_t d : {3u, 28u, 28u}) be32(images, d);
    images.resize(images.size() + 3 * 28 * 28, 7);
    be32(labels, 3);
    for (int32_t y : {1, -3, 2}) be32(labels, static_cast<uint32_t>(y));
    std::ofstream(dir + "/img.idx", std::ios::binary).write(reinterpret_cast<const char*>(images.data()), static_cast<std::streamsize>(images.size()));
    std::ofstream(dir + "/lab.idx", std::ios::binary).write(reinterpret_cast<const char*>(labels.data()), static_cast<std::streamsize>(labels.size()));
    const std::string spec = "idx:" + dir + "/img.idx," + dir + "/lab.idx";
    const std::unique_ptr<Dataset> ds = open_dataset(spec);
    Graph g = load_model(model_path());
    EnumerateOptions eo;
    eo.ops = {"vanilla"};
    std::vector<Mutant> mutants = enumerate_mutants(g, eo);
    mutants.resize(2);
    Campaign c(g, mutants, *ds, Recipe("unit"), spec, CampaignOptions{}, "fashion_fcnn", "test");
    CHECK_THROWS_WITH_AS(c.run(), doctest::Contains("label -3 outside the model's classes"), Error);
    std::filesystem::remove_all(dir);
}

namespace {

Mutant spec_mutant(const std::string& line) {
    Mutant m;
    m.spec = MutantSpec::parse(line);
    return m;
}

const KillSummary& summary_of(const CampaignResult& r, const std::string& id, size_t d = 0) {
    for (const auto& m : r.mutants)
        if (m.mutant.spec.id == id) return m.runs[d].summary;
    FAIL("no mutant " << id);
    static KillSummary none;
    return none;
}

}  // namespace

TEST_CASE("campaign: stochastic mutants run as seeded instances, judged by DeepCrime's rule") {
    MUTINY_FASHION_MNIST_OR_SKIP();  // each test case runs campaigns on Fashion-MNIST
    Setup s;
    s.mutants = {spec_mutant("id=gf-strong op=GF target=node:/fc1/Gemm seed=1 ratio=0.3 sigma=1"),
                 spec_mutant("id=gf-weak op=GF target=node:/fc4/Gemm seed=1 ratio=0.01 sigma=0.01"),
                 spec_mutant("id=ws op=WS target=node:/fc2/Gemm/units:3 seed=5"),
                 spec_mutant("id=nai op=NAI target=node:/fc1/Gemm/units:0 seed=0")};
    CampaignOptions a;
    a.threads = 2;
    a.batch = 128;
    a.instances = 8;
    a.criteria = parse_criteria("prediction,statistical");
    CampaignOptions b = a;
    b.batch = 300;
    b.threads = 1;
    b.incremental = false;
    const CampaignResult ra = s.run(a), rb = s.run(b);
    // Deterministic whatever the batch size, thread count and execution mode.
    CHECK(without_timing(campaign_report_json(ra)) == without_timing(campaign_report_json(rb)));
    const KillSummary& strong = summary_of(ra, "gf-strong");
    REQUIRE(strong.instance_correct.size() == 8);
    CHECK(strong.instance_correct[0] == strong.correct);
    // Eight different seeds, eight different mutants, each clearly worse than the original.
    CHECK(std::set<int64_t>(strong.instance_correct.begin(), strong.instance_correct.end()).size() > 4);
    for (int64_t c : strong.instance_correct) CHECK(c < strong.original_correct - 10);
    CHECK(deepcrime_test(strong).p == doctest::Approx(2.0 / 256));  // all eight worse, no ties: exact, 2 / 2^8
    CHECK(ra.verdict_of(0, 0, 1) == Verdict::killed);
    // Instance k is the mutant with seed instance_seed(seed, k): the same accuracy when run alone.
    Setup alone;
    alone.mutants = {spec_mutant("id=k3 op=GF target=node:/fc1/Gemm seed=" + std::to_string(instance_seed(1, 3)) + " ratio=0.3 sigma=1")};
    CampaignOptions one;
    one.threads = 2;
    const CampaignResult r3 = alone.run(one);
    CHECK(r3.mutants[0].runs[0].summary.correct == strong.instance_correct[3]);
    CHECK(r3.mutants[0].runs[0].summary.instance_correct.empty());
    // The weak one: its instances are within a few inputs of the original, not a kill.
    const KillSummary& weak = summary_of(ra, "gf-weak");
    REQUIRE(weak.instance_correct.size() == 8);
    for (int64_t c : weak.instance_correct) CHECK(std::abs(c - weak.original_correct) <= 3);
    CHECK(ra.verdict_of(1, 0, 1) == Verdict::survived);
    // WS is stochastic too; NAI is not (one run, Fisher's test).
    CHECK(summary_of(ra, "ws").instance_correct.size() == 8);
    CHECK(summary_of(ra, "nai").instance_correct.empty());
    // The report shows the instances and the test.
    const std::string json = campaign_report_json(ra);
    CHECK(json.find("\"wilcoxon_p\": 0.0078125") != std::string::npos);
    // One instance (the default): no instances, Fisher's test.
    CampaignOptions c = a;
    c.instances = 1;
    const CampaignResult rc = s.run(c);
    CHECK(summary_of(rc, "gf-strong").instance_correct.empty());
    CHECK(summary_of(rc, "gf-strong").correct == strong.correct);
    c.instances = 0;
    CHECK_THROWS_WITH_AS(s.run(c), doctest::Contains("bad instance count"), Error);
}

namespace {

// A CPU device that turns into a lost OpenCL device after `ok_runs` mutant runs: from then on every
// call fails with what the OpenCL backend throws when clFinish reports CL_OUT_OF_RESOURCES (how
// drivers report a GPU that fell off the bus or was reset). `bad_mutant`: a mutant whose own run
// fails while the device stays healthy.
class FlakyDevice : public CampaignDevice {
public:
    FlakyDevice(const Graph& g, int64_t ok_runs, size_t bad_mutant) : cpu_(g, 1, true), ok_runs_(ok_runs), bad_(bad_mutant) {}
    std::string name() const override { return "flaky"; }
    std::vector<Tensor> begin_batch(const std::vector<Tensor>& inputs) override {
        if (lost_) fail();
        return cpu_.begin_batch(inputs);
    }
    std::vector<Tensor> run_mutant(size_t index, const Mutation& m) override {
        if (lost_ || runs_++ == ok_runs_) {
            lost_ = true;
            fail();
        }
        if (index == bad_) throw Error("kernel failed", "node /fc1/Gemm", "the mutant's own fault");
        return cpu_.run_mutant(index, m);
    }
    void end_batch() override { cpu_.end_batch(); }

private:
    [[noreturn]] static void fail() {
        throw Error("out of device memory", "node /fc2/Gemm on OpenCL device 0 'gpu' (test)", "clFinish failed with CL_OUT_OF_RESOURCES");
    }
    CpuCampaignDevice cpu_;
    int64_t ok_runs_, runs_ = 0;
    size_t bad_;
    bool lost_ = false;
};

}  // namespace

TEST_CASE("campaign: a device lost mid-run: its unfinished mutants are marked, the CPU's results kept") {
    MUTINY_FASHION_MNIST_OR_SKIP();  // each test case runs campaigns on Fashion-MNIST
    Setup s;
    s.mutants.resize(40);
    const size_t M = s.mutants.size();
    CampaignOptions cpu_only;
    cpu_only.threads = 2;
    cpu_only.batch = 300;  // one batch: mutants run before the loss are finished
    cpu_only.criteria = parse_criteria("prediction,statistical");
    const CampaignResult ref = s.run(cpu_only);
    auto run_flaky = [&](int64_t ok_runs, size_t bad, int64_t batch) {
        CampaignOptions o = cpu_only;
        o.batch = batch;
        o.devices = {"cpu", "flaky"};
        o.make_device = [&](const std::string&, const Graph& g, const CampaignOptions&) -> std::unique_ptr<CampaignDevice> {
            return std::make_unique<FlakyDevice>(g, ok_runs, bad);
        };
        return s.run(o);
    };
    SUBCASE("lost after 25 mutants of one batch") {
        const CampaignResult r = run_flaky(25, SIZE_MAX, 300);
        CHECK(r.device_errors[0].empty());
        CHECK(r.device_errors[1].find("device lost while running mutant " + s.mutants[25].spec.id) != std::string::npos);
        CHECK(r.device_errors[1].find("CL_OUT_OF_RESOURCES") != std::string::npos);
        for (size_t i = 0; i < M; ++i) {
            INFO("mutant " << i);
            // The CPU: exactly as alone.
            CHECK(r.mutants[i].runs[0].summary.kill_bits == ref.mutants[i].runs[0].summary.kill_bits);
            for (size_t c = 0; c < 2; ++c) CHECK(r.verdict_of(i, 0, c) == ref.verdict_of(i, 0, c));
            // The lost device: the first 25 finished (same as the CPU), the rest marked.
            if (i < 25) {
                CHECK(r.mutants[i].runs[1].summary.kill_bits == ref.mutants[i].runs[0].summary.kill_bits);
                CHECK(r.verdict_of(i, 1, 0) == ref.verdict_of(i, 0, 0));
            } else {
                CHECK(r.verdict_of(i, 1, 0) == Verdict::device_lost);
                CHECK(r.verdict_of(i, 1, 1) == Verdict::device_lost);
                CHECK(r.mutants[i].runs[1].summary.crash_reason.find("device failed: device lost") == 0);
            }
        }
        const Score cpu = campaign_scores(r, 0, 0, "").at("all"), lost = campaign_scores(r, 1, 0, "").at("all");
        CHECK(cpu.device_lost == 0);
        CHECK(lost.device_lost == static_cast<int64_t>(M) - 25);
        CHECK(lost.crashed == 0);  // a lost device kills nothing
        int64_t finished_counted = 0;  // the first 25 less the equivalent ones
        for (size_t i = 0; i < 25; ++i) finished_counted += ref.verdict_of(i, 0, 0) != Verdict::equivalent ? 1 : 0;
        CHECK(finished_counted >= 20);
        CHECK(lost.counted() == finished_counted);
        CHECK(campaign_report_json(r).find("\"device_lost\": 15") != std::string::npos);
        // The HTML score table has a device-lost column: 0 on the CPU row, 15 on the lost device's.
        const std::string html = campaign_report_html(r);
        CHECK(html.find("<th>not applicable</th><th>device lost</th>") != std::string::npos);
        CHECK(html.find("<td>" + std::to_string(cpu.not_applicable) + "</td><td>0</td><td>" + fmt_pct(cpu.kill_ratio())) != std::string::npos);
        CHECK(html.find("<td>" + std::to_string(lost.not_applicable) + "</td><td>15</td><td>" + fmt_pct(lost.kill_ratio())) != std::string::npos);
    }
    SUBCASE("lost in the second of three batches: no mutant finished there, all marked") {
        const CampaignResult r = run_flaky(static_cast<int64_t>(M) + 7, SIZE_MAX, 100);
        CHECK(r.device_errors[1].find("device lost while running mutant " + s.mutants[7].spec.id + " on batch 1") != std::string::npos);
        for (size_t i = 0; i < M; ++i) {
            CHECK(r.verdict_of(i, 1, 0) == Verdict::device_lost);
            CHECK(r.verdict_of(i, 0, 0) == ref.verdict_of(i, 0, 0));
        }
    }
    SUBCASE("a mutant that fails on a healthy device is crashed, the device goes on") {
        const CampaignResult r = run_flaky(1000000, 3, 300);
        CHECK(r.device_errors[1].empty());
        CHECK(r.verdict_of(3, 1, 0) == Verdict::crashed);
        CHECK(r.mutants[3].runs[1].summary.crash_reason.find("the mutant's own fault") != std::string::npos);
        for (size_t i = 0; i < M; ++i)
            if (i != 3) CHECK(r.verdict_of(i, 1, 0) == ref.verdict_of(i, 0, 0));
    }
}

TEST_CASE("campaign: a mutant submitted ahead on an asynchronous device is timed with its submission") {
    // submit() does the work (as an enqueue that plans and uploads does); run_mutant() only
    // collects, at once. Each mutant's time must hold its own 20 ms, wherever it was spent.
    struct Async : CampaignDevice {
        std::set<size_t> started;
        std::string name() const override { return "async"; }
        std::vector<Tensor> begin_batch(const std::vector<Tensor>&) override { return {}; }
        size_t in_flight() const override { return 2; }
        void submit(size_t index, const Mutation&) override {
            if (started.insert(index).second) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::vector<Tensor> run_mutant(size_t index, const Mutation& m) override {
            submit(index, m);
            return {Tensor()};
        }
    } dev;
    const Mutation m;
    const std::vector<MutantRun> runs = dev.run_mutants({0, 1, 2, 3}, {&m, &m, &m, &m});
    REQUIRE(runs.size() == 4);
    for (const MutantRun& r : runs) {
        CHECK(!r.error);
        CHECK(r.seconds >= 0.02);
    }
}

TEST_CASE("campaign: the batch is lowered to fit the memory budget, with the same results") {
    MUTINY_FASHION_MNIST_OR_SKIP();
    Setup s;
    // The estimate: the bytes of every non-constant value of one input's run, for the original's
    // trace and once more for each of the two mutants the two threads run at once, counted here
    // from the inferred shapes.
    int64_t per_sample = 0;
    for (const Value& v : s.g.values) {
        if (v.is_constant()) continue;
        int64_t n = 1;
        for (int64_t d : v.shape.dims()) n *= d < 0 ? 1 : d;
        per_sample += n * static_cast<int64_t>(dtype_size(v.dtype));
    }
    REQUIRE(per_sample > 784 * 4);  // at least the input image
    CampaignOptions a;
    a.threads = 2;
    a.batch = 1000;
    a.criteria = parse_criteria("prediction,killed-classes:mutant-label,statistical");
    const CampaignResult ra = s.run(a);
    CHECK(ra.bytes_per_input == 3 * per_sample);
    CHECK(ra.memory_budget == default_campaign_memory());
    CHECK(ra.batch == 1000);  // a small model: the default budget holds the whole batch
    CampaignOptions b = a;
    b.max_memory = 7 * ra.bytes_per_input + ra.bytes_per_input / 2;  // room for 7 inputs
    const CampaignResult rb = s.run(b);
    CHECK(rb.batch_requested == 1000);
    CHECK(rb.batch == 7);
    CHECK(rb.memory_budget == b.max_memory);
    CHECK(without_timing(campaign_report_json(ra)) == without_timing(campaign_report_json(rb)));
    CHECK(campaign_kill_matrix(ra, 0) == campaign_kill_matrix(rb, 0));
    CampaignOptions c = a;
    c.max_memory = 1;  // below one input: one at a time, never zero
    CHECK(s.run(c).batch == 1);
    CampaignOptions bad = a;
    bad.max_memory = -1;
    CHECK(mutiny_test::contains(mutiny_test::error_of([&] { s.run(bad); }), "bad memory budget at campaign: -1 bytes"));
}

TEST_CASE("memory sizes as people write them") {
    CHECK(parse_memory_size("2G", "x") == int64_t{2} << 30);
    CHECK(parse_memory_size("1.5K", "x") == 1536);
    CHECK(parse_memory_size("512MiB", "x") == int64_t{512} << 20);
    CHECK(parse_memory_size("4096", "x") == 4096);
    CHECK(parse_memory_size("1t", "x") == int64_t{1} << 40);
    CHECK(mutiny_test::contains(mutiny_test::error_of([] { parse_memory_size("12Q", "--max-memory"); }),
                   "bad memory size '12Q' at --max-memory: unknown unit 'Q' (use K, M, G or T)"));
    CHECK(mutiny_test::contains(mutiny_test::error_of([] { parse_memory_size("G", "--max-memory"); }), "expected a number with an optional unit"));
    CHECK(mutiny_test::contains(mutiny_test::error_of([] { parse_memory_size("0", "--max-memory"); }), "less than one byte"));
    CHECK(mutiny_test::contains(mutiny_test::error_of([] { parse_memory_size("1.2.3G", "--max-memory"); }), "'1.2.3' is not a number"));
    CHECK(mutiny_test::contains(mutiny_test::error_of([] { parse_memory_size("9999999T", "--max-memory"); }), "more than 2^62 bytes"));
    CHECK(memory_size_str(1536) == "1.5 KiB");
    CHECK(memory_size_str(int64_t{1} << 30) == "1.0 GiB");
    CHECK(physical_memory_bytes() > 0);
    CHECK(default_campaign_memory() <= (int64_t{1} << 30));
}

TEST_CASE("campaign: the CPU device's mutants run side by side give each one's own outputs, bitwise") {
    MUTINY_FASHION_MNIST_OR_SKIP();
    Setup s;
    // Weight mutants of every kind on one layer (they edit the same weights), kernel and graph
    // mutants, and one that throws: run three at a time and one at a time.
    std::vector<Mutation> muts;
    std::vector<size_t> ids;
    for (size_t i = 0; i < s.mutants.size(); ++i) {
        Outcome o = evaluate_mutant(s.g, s.mutants[i].spec);
        if (o.status != MutantStatus::ok) continue;
        muts.push_back(std::move(o.mutation));
        ids.push_back(i);
    }
    REQUIRE(muts.size() > 60);
    Mutation broken;
    broken.changed_nodes = {};  // changes nothing: the device refuses it
    muts.push_back(broken);
    ids.push_back(s.mutants.size());
    const std::vector<Tensor> x = make_inputs(*s.ds, 0, 50, Recipe("unit"), input_slots(s.g));
    CpuCampaignDevice one(s.g, 1, true), three(s.g, 3, true);
    one.begin_batch(x);
    three.begin_batch(x);
    CHECK(three.parallel_mutants() == 3);
    std::vector<const Mutation*> ptrs;
    for (const auto& m : muts) ptrs.push_back(&m);
    const std::vector<MutantRun> runs = three.run_mutants(ids, ptrs);
    REQUIRE(runs.size() == muts.size());
    for (size_t k = 0; k + 1 < muts.size(); ++k) {
        CAPTURE(s.mutants[ids[k]].spec.str());
        REQUIRE(!runs[k].error);
        const Tensor want = one.run_mutant(ids[k], muts[k])[0];
        REQUIRE(runs[k].outputs.size() == 1);
        CHECK(std::memcmp(want.raw(), runs[k].outputs[0].raw(), want.nbytes()) == 0);
    }
    CHECK(runs.back().error);
    // The shared weights are as they were: the original runs as before.
    CpuExecutor ex(s.g, CpuOptions{1, {}, {}});
    const Tensor y = ex.run(x)[0], y3 = three.begin_batch(x)[0];
    CHECK(std::memcmp(y.raw(), y3.raw(), y.nbytes()) == 0);
}

// Checkpoints are read from disk and trusted no more than any other file: a checkpoint changed in
// any one byte is refused with a clear error and nothing is deleted or rewritten; a crafted one
// (checksum recomputed) either resumes to a complete result or is refused, never crashes; the
// outputs file is verified (present, its size, its checksum) before a resumed run writes to it;
// another batch size is another campaign.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/analysis/campaign.hpp>
#include <mutiny/model.hpp>
#include <mutiny/report/html.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace mutiny;

namespace {

const char* kSmall = "fashion-mnist:test@first=20";

std::vector<uint8_t> read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), {});
}
void write_all_bytes(const std::string& path, const std::vector<uint8_t>& b) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
void put_u64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
    for (size_t i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
std::string without_timing(const std::string& json) { return json.substr(0, json.find("\"timing\"")); }

// A campaign of 4 mutants over 20 inputs in batches of 8 (3 batches), on fashion_fcnn.
struct Small {
    Graph g = load_model((mutiny_test::source_dir() / "models/fashion_fcnn.onnx").string());
    std::unique_ptr<Dataset> ds = open_dataset(kSmall);
    std::vector<Mutant> mutants;
    std::string dir;
    Small() {
        EnumerateOptions eo;
        eo.ops = {"vanilla"};
        mutants = enumerate_mutants(g, eo);
        mutants.resize(3);
        EnumerateOptions k;
        k.ops = {"replace_func_relu_to_sigmoid"};
        mutants.push_back(enumerate_mutants(g, k).at(0));
        dir = (std::filesystem::temp_directory_path() / ("mutiny-test-ckpt-" + std::to_string(::getpid()))).string();
        std::filesystem::remove_all(dir);
    }
    ~Small() { std::filesystem::remove_all(dir); }
    CampaignOptions options(int64_t batch = 8) const {
        CampaignOptions o;
        o.threads = 1;
        o.batch = batch;
        o.out_dir = dir;
        o.criteria = parse_criteria("prediction,killed-classes,statistical,distance:max=0.01");
        return o;
    }
    CampaignResult run(CampaignOptions o) {
        Campaign c(g, mutants, *ds, Recipe("unit"), kSmall, std::move(o), "fashion_fcnn", "test");
        return c.run();
    }
    // The uninterrupted report (timings aside), then a run stopped once batch 1 is checkpointed
    // (the progress callback throws early in batch 2): its checkpoint and outputs bytes.
    std::string full;
    std::vector<uint8_t> ckpt0, outputs0;
    void interrupted_after_first_batch() {
        full = without_timing(campaign_report_json(run(options())));
        CampaignOptions o = options();
        const int64_t per_batch = static_cast<int64_t>(mutants.size()) + 1;
        o.progress = [&](int64_t done, int64_t) {
            if (done == per_batch + 2) throw std::runtime_error("interrupted");
        };
        CHECK_THROWS_WITH(run(o), "interrupted");
        ckpt0 = read_all(ckpt());
        outputs0 = read_all(outputs());
    }
    CampaignResult resume(int64_t batch = 8) {
        CampaignOptions o = options(batch);
        o.resume = true;
        return run(o);
    }
    std::string ckpt() const { return dir + "/checkpoint.bin"; }
    std::string outputs() const { return dir + "/outputs-cpu.f32"; }
};

}  // namespace

TEST_CASE("checkpoint: a change of any one byte is refused, and nothing is deleted or rewritten") {
    MUTINY_FASHION_MNIST_OR_SKIP();
    Small s;
    s.interrupted_after_first_batch();
    REQUIRE(s.ckpt0.size() > 1000);
    for (size_t i = 0; i < s.ckpt0.size(); ++i) {
        std::vector<uint8_t> bad = s.ckpt0;
        bad[i] ^= 0x20;
        write_all_bytes(s.ckpt(), bad);
        std::string message;
        try {
            s.resume();
        } catch (const Error& e) {
            message = e.what();
        }
        CAPTURE(i);
        CHECK(message.find("checkpoint") != std::string::npos);  // every one is "corrupt checkpoint ... checksum mismatch"
        CHECK(read_all(s.ckpt()) == bad);
        CHECK(read_all(s.outputs()) == s.outputs0);
    }
    // Intact, it resumes to the uninterrupted report.
    write_all_bytes(s.ckpt(), s.ckpt0);
    const CampaignResult r = s.resume();
    CHECK(r.resumed_at_batch == 1);
    CHECK(without_timing(campaign_report_json(r)) == s.full);
}

TEST_CASE("checkpoint: crafted checkpoints (checksum recomputed) resume completely or are refused, never crash") {
    MUTINY_FASHION_MNIST_OR_SKIP();
    Small s;
    s.interrupted_after_first_batch();
    const std::vector<uint8_t> body = unsealed(s.ckpt0, "test");
    // Every byte of the record changed (checksum recomputed): the result is the full one, a
    // complete result (every count within the campaign), or a mutiny::Error. Under ASan this is
    // also the proof that no length in the file reaches memory unchecked.
    int refused = 0, same = 0;
    for (size_t i = 0; i < body.size(); ++i) {
        std::vector<uint8_t> bad = body;
        bad[i] ^= 0xff;
        write_all_bytes(s.ckpt(), sealed(bad));
        write_all_bytes(s.outputs(), s.outputs0);
        CAPTURE(i);
        try {
            const CampaignResult r = s.resume();
            CHECK(r.inputs == 20);
            for (const auto& m : r.mutants) CHECK(m.runs[0].summary.inputs <= 20);
            if (without_timing(campaign_report_json(r)) == s.full) ++same;
        } catch (const Error&) {
            ++refused;
        }
    }
    MESSAGE(refused << " of " << body.size() << " crafted checkpoints refused, " << same << " gave the uninterrupted report");
    CHECK(refused > static_cast<int>(body.size()) / 2);

    // The cases of issue 15, each by name. Offsets: magic (8 + 19), identity (8 + its length),
    // then batches done; then the first device's error (8), the original's seconds (8) and its
    // summary, whose kill-bit vector length follows 10 fields (80 bytes).
    uint64_t identity_size = 0;
    for (size_t k = 0; k < 8; ++k) identity_size |= static_cast<uint64_t>(body[27 + k]) << (8 * k);
    const size_t done_at = 8 + 19 + 8 + static_cast<size_t>(identity_size);
    auto resume_with = [&](std::vector<uint8_t> b) {
        write_all_bytes(s.ckpt(), sealed(std::move(b)));
        write_all_bytes(s.outputs(), s.outputs0);
        return s.resume();
    };
    {
        std::vector<uint8_t> b = body;
        REQUIRE(b[done_at] == 1);
        put_u64(b, done_at, uint64_t{1} << 62);  // "complete" after 2^62 batches
        CHECK_THROWS_WITH_AS(resume_with(b), doctest::Contains("batches done, the campaign has 3"), Error);
        put_u64(b, done_at, 3);  // complete, though only one batch was run
        CHECK_THROWS_WITH_AS(resume_with(b), doctest::Contains("does not fit this campaign"), Error);
    }
    const size_t bits_at = done_at + 8 + 8 + 8 + 80;
    {
        std::vector<uint8_t> b = body;
        REQUIRE(b[bits_at] == 1);                    // 20 inputs: one u64 of kill bits
        put_u64(b, bits_at, uint64_t{1} << 61);      // a length whose byte count wraps
        CHECK_THROWS_WITH_AS(resume_with(b), doctest::Contains("truncated checkpoint"), Error);
    }
    {
        // A shorter killed-classes-by-mutant-label vector, the bytes consistent with it: it once
        // reached KillAccumulator::add, which indexes it by class.
        std::vector<uint8_t> b = body;
        const size_t classes_mutant_at = bits_at + 16 + 8 + 10 * 8;
        REQUIRE(b[classes_mutant_at] == 10);
        put_u64(b, classes_mutant_at, 1);
        b.erase(b.begin() + static_cast<std::ptrdiff_t>(classes_mutant_at + 16), b.begin() + static_cast<std::ptrdiff_t>(classes_mutant_at + 88));
        CHECK_THROWS_WITH_AS(resume_with(b), doctest::Contains("lengths"), Error);
    }
    write_all_bytes(s.ckpt(), s.ckpt0);
    write_all_bytes(s.outputs(), s.outputs0);
    CHECK(without_timing(campaign_report_json(s.resume())) == s.full);
}

TEST_CASE("checkpoint: the outputs file is verified, and another batch size is another campaign") {
    MUTINY_FASHION_MNIST_OR_SKIP();
    Small s;
    s.interrupted_after_first_batch();

    // Deleted: refused, and not recreated (it once came back zero-filled).
    std::filesystem::remove(s.outputs());
    CHECK_THROWS_WITH_AS(s.resume(), doctest::Contains("outputs of the checkpointed batches are missing"), Error);
    CHECK_FALSE(std::filesystem::exists(s.outputs()));
    // Shorter, or one byte of a finished batch changed: refused, the file left as it was.
    std::vector<uint8_t> shorter(s.outputs0.begin(), s.outputs0.end() - 4);
    write_all_bytes(s.outputs(), shorter);
    CHECK_THROWS_WITH_AS(s.resume(), doctest::Contains("the campaign writes"), Error);
    CHECK(read_all(s.outputs()) == shorter);
    std::vector<uint8_t> changed = s.outputs0;
    changed[20 * 10 * 4 + 3] ^= 1;  // row 1 (the first mutant), input 0
    write_all_bytes(s.outputs(), changed);
    CHECK_THROWS_WITH_AS(s.resume(), doctest::Contains("does not match the checkpoint"), Error);
    CHECK(read_all(s.outputs()) == changed);
    CHECK(read_all(s.ckpt()) == s.ckpt0);
    // A byte of a batch not yet checkpointed may be anything: it is rewritten.
    std::vector<uint8_t> later = s.outputs0;
    later[(20 + 19) * 10 * 4] ^= 1;  // row 1, input 19 (batch 2)
    write_all_bytes(s.outputs(), later);
    CHECK_NOTHROW(s.resume());

    // Another batch size: refused, naming the difference (it once skipped inputs and reported
    // the full count).
    write_all_bytes(s.ckpt(), s.ckpt0);
    write_all_bytes(s.outputs(), s.outputs0);
    CHECK_THROWS_WITH_AS(s.resume(5), doctest::Contains("it has 'batch 8' where this campaign has 'batch 5'"), Error);
    // So is keeping outputs after a run that did not.
    CampaignOptions o = s.options();
    o.resume = true;
    o.keep_outputs = false;
    CHECK_THROWS_WITH_AS(s.run(o), doctest::Contains("it has 'outputs kept' where this campaign has 'outputs none'"), Error);
}

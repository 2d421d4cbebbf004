// Tensor data sets (npy:, npz:; mutiny/io/tensor_dataset.hpp) on files NumPy wrote
// (tests/fixtures/npy/, tools/make_npy_fixtures.py): stored and deflated archives, arrays bound to
// model inputs by name and by @inputs=, lossless casts, @first/@sample, and the errors: wrong dtype
// or per-sample shape for an input, entries missing or corrupt (CRC, deflate), labels that do not
// fit. Then an end-to-end campaign of a two-input text classifier (two_input.onnx, made with onnx's
// helper API) whose original outputs are checked against NumPy's (text_logits.npy), with the same
// kill matrix whatever the batch size, thread count or archive kind.
#include <doctest/doctest.h>

#include "io_fixtures.hpp"
#include "npy_fixtures.hpp"
#include "support/support.hpp"

#include <mutiny/analysis/campaign.hpp>
#include <mutiny/io/dataset.hpp>
#include <mutiny/model.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace mutiny;
using io_fixtures::read_all;
using npy_fixtures::fixture;
using npy_fixtures::values;
using io_fixtures::TempDir;
using io_fixtures::write_bytes;
using mutiny_test::contains;
using mutiny_test::error_of;

namespace {

const std::vector<InputSlot> kText{{"input_ids", DType::i64, Shape{4}}, {"attention_mask", DType::i64, Shape{4}}};

// NumPy's labels of text.npz (print(d['labels'].tolist())).
const std::vector<int> kLabels{0, 2, 2, 2, 2, 0, 2, 2, 2, 0, 0, 2, 2, 2, 0, 0, 0, 2, 2, 2, 0, 2, 2, 2};

std::vector<int> all_labels(const Dataset& ds) { return batch_labels(ds, 0, ds.size()); }

}  // namespace

TEST_CASE("npz: stored and deflated archives, inputs bound by name or by @inputs") {
    auto stored = open_dataset("npz:" + fixture("text.npz"));
    REQUIRE(stored->size() == 24);
    CHECK(stored->holds_tensors());
    CHECK(stored->labelled());  // the array named "labels"
    CHECK(all_labels(*stored) == kLabels);
    const auto x = make_inputs(*stored, 0, 24, Recipe(), kText);
    REQUIRE(x.size() == 2);
    CHECK(x[0].dtype() == DType::i64);
    CHECK(x[0].shape() == Shape{24, 4});
    const auto ids = values<int64_t>(x[0]), mask = values<int64_t>(x[1]);
    CHECK(std::vector<int64_t>(ids.begin(), ids.begin() + 8) == std::vector<int64_t>{1, 1, 7, 4, 5, 6, 7, 0});
    CHECK(std::vector<int64_t>(ids.end() - 4, ids.end()) == std::vector<int64_t>{7, 3, 8, 0});
    CHECK(std::vector<int64_t>(mask.begin(), mask.begin() + 8) == std::vector<int64_t>{1, 0, 1, 1, 1, 1, 0, 1});
    CHECK(stored->get(3).source == fixture("text.npz") + "[3]");
    CHECK(stored->get(3).label == 2);

    // The deflated archive holds the same arrays under other names: mapped explicitly.
    const std::string spec = "npz:" + fixture("text_deflated.npz") + "@labels=y@inputs=input_ids:ids,attention_mask:mask";
    auto deflated = open_dataset(spec);
    CHECK(deflated->name() == spec);
    CHECK(all_labels(*deflated) == kLabels);
    const auto y = make_inputs(*deflated, 0, 24, Recipe(), kText);
    CHECK(values<int64_t>(y[0]) == ids);
    CHECK(values<int64_t>(y[1]) == mask);

    // Subsets pick rows: @sample=5:3 and @first on top of the options.
    auto sub = open_dataset(spec + "@sample=5:3");
    const std::vector<size_t> picked = sample_indices(24, 5, 3);
    const auto z = make_inputs(*sub, 0, 5, Recipe(), kText);
    for (size_t k = 0; k < 5; ++k)
        for (size_t j = 0; j < 4; ++j) CHECK(values<int64_t>(z[0])[k * 4 + j] == ids[picked[k] * 4 + j]);
    CHECK(open_dataset(spec + "@first=7")->size() == 7);
    // Rows out of order and repeated (runs are read in one piece, the rest row by row).
    const auto w = values<int64_t>(stored->tensor_batch({5, 6, 7, 2, 2}, kText)[0]);
    REQUIRE(w.size() == 20);
    CHECK(std::vector<int64_t>(w.begin(), w.begin() + 12) == std::vector<int64_t>(ids.begin() + 20, ids.begin() + 32));
    CHECK(std::vector<int64_t>(w.begin() + 12, w.begin() + 16) == std::vector<int64_t>(ids.begin() + 8, ids.begin() + 12));
    CHECK(std::vector<int64_t>(w.begin() + 16, w.end()) == std::vector<int64_t>(ids.begin() + 8, ids.begin() + 12));
}

TEST_CASE("npy: one array per model input, lossless casts, per-sample shapes") {
    auto ds = open_dataset("npy:" + fixture("features.npy") + "@labels=" + fixture("labels.npy"));
    REQUIRE(ds->size() == 6);
    CHECK(all_labels(*ds) == std::vector<int>{0, 1, 2, 1, 0, 2});
    // f4 into an f64 input: lossless; into [2, 2]: the same 4 elements, reshaped.
    const auto a = make_inputs(*ds, 1, 2, Recipe(), {{"x", DType::f64, Shape{4}}});
    CHECK(values<double>(a[0]) == std::vector<double>{-0.75, -0.625, -0.5, -0.375, -0.25, -0.125, 0.0, 0.125});
    CHECK(make_inputs(*ds, 0, 6, Recipe(), {{"x", DType::f32, Shape{2, 2}}})[0].shape() == Shape{6, 2, 2});
    CHECK(make_inputs(*ds, 0, 6, Recipe(), {{"x", DType::f32, Shape{-1}}})[0].shape() == Shape{6, 4});
    // Every dtype's big-endian file reads as its little-endian twin, row by row.
    for (const char* c : {"i2", "u4", "f8", "i8"}) {
        auto le = open_dataset("npy:" + fixture(std::string(c) + ".npy")), be = open_dataset("npy:" + fixture(std::string(c) + "_be.npy"));
        const DType t = read_npy(fixture(std::string(c) + ".npy")).dtype();
        const Tensor l = make_inputs(*le, 1, 2, Recipe(), {{"x", t, Shape{2}}})[0], b = make_inputs(*be, 1, 2, Recipe(), {{"x", t, Shape{2}}})[0];
        CHECK(std::memcmp(l.raw(), b.raw(), l.nbytes()) == 0);
    }
    auto bools = open_dataset("npy:" + fixture("b1.npy"));
    CHECK(values<float>(make_inputs(*bools, 0, 3, Recipe(), {{"m", DType::f32, Shape{2}}})[0]) == std::vector<float>{1, 0, 1, 1, 0, 0});
    auto fortran = open_dataset("npy:" + fixture("fortran.npy"));
    CHECK(values<int64_t>(make_inputs(*fortran, 1, 1, Recipe(), {{"x", DType::i64, Shape{3}}})[0]) == std::vector<int64_t>{3, 4, 5});
}

TEST_CASE("tensor data: wrong dtype, wrong shape, unbound inputs") {
    auto ds = open_dataset("npz:" + fixture("text.npz"));
    std::string e = error_of([&] { make_inputs(*ds, 0, 2, Recipe(), {{"input_ids", DType::i32, Shape{4}}, kText[1]}); });
    CHECK(contains(e, "wrong dtype for model input 'input_ids' at " + fixture("text.npz") + "[input_ids]: the model takes i32, the array holds i64"));
    CHECK(contains(e, "casting would lose values"));
    e = error_of([&] { make_inputs(*ds, 0, 2, Recipe(), {{"input_ids", DType::i64, Shape{5}}, kText[1]}); });
    CHECK(contains(e, "wrong per-sample shape for model input 'input_ids' at " + fixture("text.npz") +
                          "[input_ids]: the model takes [5] per sample, the array is (24, 4)"));
    e = error_of([&] { make_inputs(*ds, 0, 2, Recipe(), {{"input_ids", DType::i64, Shape{-1, 2}}, kText[1]}); });
    CHECK(contains(e, "the model takes [?,2] per sample"));
    auto feats = open_dataset("npy:" + fixture("features.npy"));
    CHECK(contains(error_of([&] { make_inputs(*feats, 0, 1, Recipe(), {{"x", DType::f16, Shape{4}}}); }),
                   "wrong dtype for model input 'x' at " + fixture("features.npy") + ": the model takes f16, the array holds f32"));
    auto deflated = open_dataset("npz:" + fixture("text_deflated.npz"));
    e = error_of([&] { make_inputs(*deflated, 0, 1, Recipe(), kText); });
    CHECK(contains(e, "no array for model input 'input_ids' at npz:"));
    CHECK(contains(e, "the data holds ids, mask, y; the model's inputs are input_ids, attention_mask; map them with @inputs="));
    auto mapped = open_dataset("npz:" + fixture("text.npz") + "@inputs=input_ids:input_ids,tokens:attention_mask");
    CHECK(contains(error_of([&] { make_inputs(*mapped, 0, 1, Recipe(), kText); }),
                   "@inputs names 'tokens', which is not an input of the model at npz:"));
    // Image data sets feed one float input only; tensor data sets are not images.
    auto idx = open_dataset("npz:" + fixture("text.npz"));
    CHECK(contains(error_of([&] { make_batch(*idx, 0, 1, Recipe(), Shape{4}); }), "data set holds tensors, not images"));
}

TEST_CASE("tensor data: bad files and options say what, where and why") {
    TempDir tmp("npz");
    const std::string npz = fixture("text.npz");
    std::string e = error_of([&] { open_dataset("npz:" + npz + "@labels=nope"); });
    CHECK(contains(e, "npz entry missing at " + npz + "[nope]: named by @labels; the archive holds: input_ids, attention_mask, labels, topic"));
    e = error_of([&] { open_dataset("npz:" + npz + "@inputs=input_ids:ids"); });
    CHECK(contains(e, "npz entry missing at " + npz + "[ids]: @inputs maps input 'input_ids' to it"));
    // A flipped byte in a stored entry's data: its CRC-32 no longer matches.
    std::vector<uint8_t> b = read_all(npz);
    const std::string s(b.begin(), b.end());
    b[s.find("\x93NUMPY") + 140] ^= 0x10;  // inside input_ids' data (its header ends at 128)
    write_bytes(tmp / "crc.npz", b);
    e = error_of([&] { open_dataset("npz:" + tmp / "crc.npz"); });
    CHECK(contains(e, "npz entry fails its CRC check at " + tmp / "crc.npz" + "[input_ids]: CRC-32 "));
    CHECK(contains(e, "the archive is corrupt"));
    // A deflated entry with a damaged stream.
    b = read_all(fixture("text_deflated.npz"));
    for (size_t i = 60; i < 80; ++i) b[i] ^= 0x5a;  // the first entry's compressed bytes
    write_bytes(tmp / "deflate.npz", b);
    e = error_of([&] { open_dataset("npz:" + tmp / "deflate.npz@labels=y"); });
    CHECK(contains(e, tmp / "deflate.npz" + "[ids]"));
    CHECK((contains(e, "corrupt npz entry") || contains(e, "fails its CRC check")));
    // Truncated archives, and a file that is no zip at all.
    b = read_all(npz);
    b.resize(b.size() / 2);
    write_bytes(tmp / "half.npz", b);
    CHECK(contains(error_of([&] { open_dataset("npz:" + tmp / "half.npz"); }), "not a valid npz (zip) file at " + tmp / "half.npz"));
    CHECK(contains(error_of([&] { open_dataset("npz:" + fixture("f4.npy")); }), "no zip end-of-central-directory record"));
    b = read_all(npz);
    b.resize(b.size() - 22);  // the end record gone: the central directory is all that is left
    write_bytes(tmp / "noend.npz", b);
    CHECK(contains(error_of([&] { open_dataset("npz:" + tmp / "noend.npz"); }), "no zip end-of-central-directory record"));
    // Two entries pointing at the same bytes (a zip bomb's trick): refused before anything is inflated.
    b = read_all(npz);
    std::vector<size_t> cd;
    for (size_t i = 0; i + 4 <= b.size(); ++i)
        if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 1 && b[i + 3] == 2) cd.push_back(i);
    REQUIRE(cd.size() == 4);
    std::copy(b.begin() + static_cast<std::ptrdiff_t>(cd[0] + 42), b.begin() + static_cast<std::ptrdiff_t>(cd[0] + 46),
              b.begin() + static_cast<std::ptrdiff_t>(cd[1] + 42));
    write_bytes(tmp / "overlap.npz", b);
    CHECK(contains(error_of([&] { open_dataset("npz:" + tmp / "overlap.npz"); }), "overlaps entry 'attention_mask.npy'"));
    // Samples of no elements: any sample count from no data.
    b = read_all(fixture("features.npy"));
    b.resize(128);
    {
        std::string h(b.begin(), b.end());
        h.replace(h.find("(6, 4)"), 6, "(9, 0)");
        b.assign(h.begin(), h.end());
    }
    write_bytes(tmp / "empty.npy", b);
    CHECK(contains(error_of([&] { open_dataset("npy:" + tmp / "empty.npy"); }), "array has empty samples at " + tmp / "empty.npy" + ": shape (9, 0)"));
    // A truncated .npy as a data set: named, with the byte offset.
    b = read_all(fixture("features.npy"));
    b.resize(b.size() - 3);
    write_bytes(tmp / "cut.npy", b);
    CHECK(contains(error_of([&] { open_dataset("npy:" + tmp / "cut.npy"); }),
                   "truncated data at " + tmp / "cut.npy" + " at byte 128: shape (6, 4) of f32 is 96 bytes, the file has 93"));
    // Labels.
    e = error_of([&] { open_dataset("npy:" + fixture("features.npy") + "@labels=" + fixture("labels5.npy")); });
    CHECK(contains(e, "labels count differs from the samples count at " + fixture("labels5.npy") + ": 5 labels for 6 samples in " + fixture("features.npy")));
    e = error_of([&] { open_dataset("npy:" + fixture("features.npy") + "@labels=" + fixture("features.npy")); });
    CHECK(contains(e, "labels are not class indices at " + fixture("features.npy") + ": f32 (6, 4); expected one integer per sample"));
    e = error_of([&] { open_dataset("npy:" + fixture("i1.npy") + "@labels=" + fixture("i2.npy")); });
    CHECK(contains(e, "labels are not class indices"));
    b = read_all(fixture("labels.npy"));
    for (size_t k = 128; k < 136; ++k) b[k] = 0xff;  // sample 0's label: -1
    write_bytes(tmp / "neg.npy", b);
    CHECK(contains(error_of([&] { open_dataset("npy:" + fixture("features.npy") + "@labels=" + tmp / "neg.npy"); }),
                   "label out of range at " + tmp / "neg.npy" + " sample 0: label -1; class indices are 0 or more"));
    // A scalar has no sample axis; options belong to npy:/npz:.
    CHECK(contains(error_of([&] { open_dataset("npy:" + fixture("scalar.npy")); }), "array has no sample axis at " + fixture("scalar.npy")));
    CHECK(contains(error_of([&] { open_dataset("fashion-mnist@labels=x"); }), "data-set option '@labels=x' does not apply to fashion-mnist:"));
    CHECK(contains(error_of([&] { open_dataset("npz:" + npz + "@inputs=a:b,nocolon"); }), "'nocolon' is not INPUT:ARRAY"));
    CHECK(contains(error_of([&] { open_dataset("npz:" + npz + "@inputs=a:b,a:c"); }), "input 'a' is mapped twice"));
    CHECK(contains(error_of([&] { open_dataset("npz:" + tmp / "none.npz"); }), "data-set file not found"));
}

TEST_CASE("campaign: a two-input text model on npz data, checked against NumPy") {
    const Graph g = load_model(fixture("two_input.onnx"));
    REQUIRE(g.inputs.size() == 2);
    auto ds = open_dataset("npz:" + fixture("text.npz"));
    // The original's outputs against NumPy's (float64, rounded to float32).
    const Tensor want = read_npy(fixture("text_logits.npy"));
    const std::vector<InputSlot> slots = input_slots(g);
    CpuExecutor ex(g, CpuOptions{1, {}, {}});
    const Tensor got = ex.run(make_inputs(*ds, 0, 24, Recipe(), slots))[0];
    REQUIRE(got.shape() == Shape{24, 3});
    int64_t correct = 0;
    for (int64_t i = 0; i < 24; ++i) {
        int64_t best = 0;
        for (int64_t c = 0; c < 3; ++c) {
            const float w = want.data<float>()[i * 3 + c];
            CHECK(got.data<float>()[i * 3 + c] == doctest::Approx(w).epsilon(1e-5));
            if (w > want.data<float>()[i * 3 + best]) best = c;
        }
        correct += best == kLabels[static_cast<size_t>(i)];
    }
    CHECK(correct == 19);  // NumPy's argmax agrees with 19 labels: every fifth was moved off it

    EnumerateOptions eo;
    eo.ops = {"vanilla"};
    const std::vector<Mutant> mutants = enumerate_mutants(g, eo);
    CHECK(mutants.size() == 33);  // CW, NAI, NEB on 8 + 3 Gemm units
    auto run = [&](const std::string& spec, int64_t batch, int threads) {
        auto d = open_dataset(spec);
        CampaignOptions opt;
        opt.batch = batch;
        opt.threads = threads;
        Campaign c(g, mutants, *d, Recipe("unit"), spec, opt, "two_input", "test");
        return c.run();
    };
    const CampaignResult a = run("npz:" + fixture("text.npz"), 24, 2);
    CHECK(a.original_correct[0] == 19);
    CHECK(a.recipe == "none");
    int64_t killed = 0;
    for (const auto& m : a.mutants) killed += m.runs[0].summary.prediction_kills > 0;
    CHECK(killed > 0);
    // The same bits whatever the batch size, the thread count and the archive kind.
    const CampaignResult b = run("npz:" + fixture("text_deflated.npz") + "@labels=y@inputs=input_ids:ids,attention_mask:mask", 5, 1);
    REQUIRE(b.mutants.size() == a.mutants.size());
    for (size_t i = 0; i < a.mutants.size(); ++i) {
        INFO(a.mutants[i].mutant.spec.id);
        CHECK(a.mutants[i].runs[0].summary.kill_bits == b.mutants[i].runs[0].summary.kill_bits);
        CHECK(a.mutants[i].runs[0].summary.correct == b.mutants[i].runs[0].summary.correct);
        CHECK(a.mutants[i].runs[0].summary.max_abs_diff == b.mutants[i].runs[0].summary.max_abs_diff);
    }
    // Labels beyond the model's classes, and image data for a two-input model.
    const std::string topic = "npz:" + fixture("text.npz") + "@labels=topic";
    CHECK(contains(error_of([&] { run(topic, 24, 1); }), "label 7 outside the model's classes at " + topic + " sample 1: the model has 3 outputs (classes 0..2)"));
    TempDir tmp("npz_images");
    write_bytes(tmp / "img.idx", {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7});
    auto images = open_dataset("idx:" + tmp / "img.idx");
    CHECK(contains(error_of([&] { make_inputs(*images, 0, 1, Recipe(), slots); }),
                   "image data sets feed one float32 input at idx:" + tmp / "img.idx" + ": the model takes 2: input_ids (i64), attention_mask (i64)"));
}

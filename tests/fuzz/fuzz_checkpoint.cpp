// libFuzzer target for campaign checkpoints (analysis/checkpoint.hpp, analysis/campaign_files.hpp):
// the sealed record, its decoder, and the checks that make a crafted record fit the campaign
// (KillAccumulator::restore, load_disc). A record that is accepted must leave accumulators that the
// rest of the campaign can use: one more batch is added to each and summarised.
//
// Input: 5 bytes choosing the campaign (inputs 1..256, classes 2..257, mutants 0..3, devices 1..2,
// batch 1..256), then the record, read as Campaign::load_checkpoint reads checkpoint.bin. The record
// is sealed here (a fuzzer cannot forge the checksum; a crafted file can), and also unsealed as is.
//
// fuzz-seeds: tests/fuzz/corpus/checkpoint/*
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mutiny/analysis/campaign_files.hpp"
#include "mutiny/analysis/checkpoint.hpp"
#include "mutiny/analysis/discrepancy.hpp"
#include "mutiny/analysis/kill.hpp"
#include "mutiny/core/error.hpp"

namespace {

const std::string kWhere = "fuzz checkpoint";

void resume(const std::vector<std::uint8_t>& record, int64_t inputs, int64_t classes, size_t mutants, size_t devices, int64_t batch) {
    using namespace mutiny;
    ByteReader r(record, kWhere);
    if (r.str() != "MUTINY-CHECKPOINT-2") return;
    (void)r.str();  // identity: compared with the campaign's as a whole string
    const int64_t nbatches = (inputs + batch - 1) / batch;
    const int64_t done = r.i64();
    if (done < 1 || done > nbatches) return;
    const int64_t processed = std::min(done * batch, inputs);
    std::vector<KillAccumulator> orig(devices, KillAccumulator(inputs, classes));
    std::vector<std::vector<KillAccumulator>> acc(devices, std::vector<KillAccumulator>(mutants, KillAccumulator(inputs, classes)));
    for (size_t d = 0; d < devices; ++d) {
        (void)r.str();
        (void)r.f64();
        orig[d].restore(campaign_detail::load_summary(r), processed, kWhere);
        for (size_t i = 0; i < mutants; ++i) {
            acc[d][i].restore(campaign_detail::load_summary(r), processed, kWhere);
            (void)r.f64();
        }
    }
    std::vector<Discrepancy> disc;
    for (size_t k = 0; k < (devices - 1) * (1 + mutants); ++k) disc.push_back(campaign_detail::load_disc(r, processed, classes, kWhere));
    if (r.vec<uint64_t>().size() != devices || !r.done()) return;

    // The next batch, as the campaign would add it.
    const int64_t n = std::min(batch, inputs - processed);
    if (n <= 0) return;
    std::vector<float> a(static_cast<size_t>(n * classes)), b(a.size());
    std::vector<int64_t> labels(static_cast<size_t>(n));
    for (size_t k = 0; k < a.size(); ++k) {
        a[k] = static_cast<float>(k % 7);
        b[k] = static_cast<float>(k % 5);
    }
    for (size_t k = 0; k < labels.size(); ++k) labels[k] = static_cast<int64_t>(k) % classes;
    for (size_t d = 0; d < devices; ++d) {
        orig[d].add(a.data(), a.data(), labels.data(), n, processed);
        (void)orig[d].summary();
        for (auto& m : acc[d]) {
            m.add(a.data(), b.data(), labels.data(), n, processed);
            (void)m.summary();
        }
    }
    for (auto& x : disc) x.add(a.data(), b.data(), n, classes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 5) return 0;
    const int64_t inputs = 1 + data[0], classes = 2 + data[1], batch = 1 + data[4];
    const size_t mutants = data[2] % 4, devices = 1 + data[3] % 2;
    const std::vector<std::uint8_t> record(data + 5, data + size);
    try {
        resume(mutiny::unsealed(mutiny::sealed(record), kWhere), inputs, classes, mutants, devices, batch);
    } catch (const mutiny::Error&) {
    }
    try {
        (void)mutiny::unsealed(record, kWhere);
    } catch (const mutiny::Error&) {
    }
    return 0;
}

// The parts of a split campaign and their merge (docs/architecture.md, "Scale out"). A part is the
// result of a campaign run over some of the mutants (a --shard, or an MPI chunk): its
// CampaignResult with, for each mutant, its index in the whole campaign's list, and the key
// (shard.hpp, campaign_key) of the whole campaign. merge_parts() rebuilds the whole campaign's
// CampaignResult from parts that cover every mutant exactly once, so the report writer that a
// single run uses writes the same files, byte for byte (timings aside). Parts of another campaign,
// duplicates and gaps are refused by name.
//
// The file (DIR/shard.bin, or chunks/chunk-K-of-N.bin of an MPI run) is sealed like a checkpoint
// (checkpoint.hpp) and written durably, and nothing in it is trusted on reading: every count and
// vector length is checked against the campaign it claims to belong to.
#ifndef MUTINY_ANALYSIS_MERGE_HPP_
#define MUTINY_ANALYSIS_MERGE_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "campaign.hpp"
#include "campaign_files.hpp"
#include "campaign_options.hpp"
#include "checkpoint.hpp"
#include "kill.hpp"

namespace mutiny {

struct CampaignPart {
    std::string kind = "shard";  // "shard" (--shard K/N), "chunk" (an MPI chunk) or "sample" (a round of --sample)
    int64_t index = 1, count = 1;  // part K of N
    std::string key;             // campaign_key() of the whole campaign
    int64_t total = 0;           // mutants in the whole campaign
    std::vector<int64_t> indices;  // per mutant of r: its index in the whole campaign's list
    CampaignResult r;            // the campaign over this part's mutants
    // What the manifest of the merged run records (report/campaign_report.hpp).
    int64_t batch = 0, max_memory = 0;
    int threads = 0, instances = 1;
    bool incremental = true;
    std::string label() const { return kind + " " + std::to_string(index) + "/" + std::to_string(count); }
};

namespace merge_detail {

constexpr const char* kPartMagic = "MUTINY-PART-1";

inline void strs(ByteWriter& w, const std::vector<std::string>& v) {
    w.u64(v.size());
    for (const auto& s : v) w.str(s);
}
inline std::vector<std::string> strs(ByteReader& r, size_t limit, const std::string& where) {
    const uint64_t n = r.u64();
    if (n > limit) throw Error("corrupt part", where, std::to_string(n) + " names where at most " + std::to_string(limit) + " fit");
    std::vector<std::string> v(n);
    for (auto& s : v) s = r.str();
    return v;
}

inline MutantStatus status_named(const std::string& name, const std::string& where) {
    for (MutantStatus s : {MutantStatus::ok, MutantStatus::invalid, MutantStatus::not_applicable, MutantStatus::equivalent})
        if (name == mutant_status_name(s)) return s;
    throw Error("corrupt part", where, "unknown mutant status '" + name + "'");
}

}  // namespace merge_detail

inline std::vector<uint8_t> save_part(const CampaignPart& p) {
    using namespace merge_detail;
    const CampaignResult& r = p.r;
    ByteWriter w;
    w.str(kPartMagic);
    w.str(p.key);
    w.str(p.kind);
    w.i64(p.index);
    w.i64(p.count);
    w.i64(p.total);
    w.vec(p.indices);
    w.i64(p.batch);
    w.i64(p.max_memory);
    w.i64(p.threads);
    w.i64(p.instances);
    w.u64(p.incremental);
    w.str(r.version);
    w.str(r.model);
    w.str(r.model_hash);
    w.str(r.data);
    w.str(r.recipe);
    w.str(r.data_hash);
    w.i64(r.inputs);
    w.i64(r.classes);
    w.i64(r.batch);
    w.i64(r.batch_requested);
    w.i64(r.memory_budget);
    w.i64(r.bytes_per_input);
    w.u64(r.batch_fixed_by_model);
    strs(w, r.devices);
    strs(w, r.device_errors);
    strs(w, r.device_identities);
    std::vector<std::string> criteria;
    for (const auto& c : r.criteria) criteria.push_back(c.name());
    strs(w, criteria);
    w.vec(r.original_correct);
    w.vec(r.original_seconds);
    for (const auto& x : r.original_vs_first) campaign_detail::save_disc(w, x);
    w.f64(r.seconds);
    w.i64(r.resumed_at_batch);
    w.u64(r.mutants.size());
    for (const MutantResult& m : r.mutants) {
        w.str(m.mutant.spec.str());
        w.str(mutant_status_name(m.mutant.status));
        w.str(m.mutant.reason);
        w.str(m.mutant.category);
        w.str(m.mutant.layer);
        w.str(m.mutant.family);
        for (const DeviceRun& run : m.runs) {
            campaign_detail::save_summary(w, run.summary);
            w.f64(run.seconds);
        }
        for (const auto& x : m.vs_first) campaign_detail::save_disc(w, x);
    }
    return sealed(w.bytes());
}

// Reads a part from sealed bytes; `where` names the file in errors.
inline CampaignPart load_part(const std::vector<uint8_t>& sealed_bytes, const std::string& where) {
    using namespace merge_detail;
    std::vector<uint8_t> bytes;
    try {
        bytes = unsealed(sealed_bytes, where);
    } catch (const Error&) {
        throw Error("corrupt part", where, "checksum mismatch (the file changed after it was written); rerun the part: with --resume its checkpoint is reused");
    }
    ByteReader rd(bytes, where);
    auto bad = [&](const std::string& why) { return Error("corrupt part", where, why); };
    if (rd.str() != kPartMagic) throw Error("not a Mutiny campaign part", where, std::string("bad magic (expected ") + kPartMagic + ")");
    CampaignPart p;
    p.key = rd.str();
    p.kind = rd.str();
    p.index = rd.i64();
    p.count = rd.i64();
    p.total = rd.i64();
    if (p.kind != "shard" && p.kind != "chunk" && p.kind != "sample") throw bad("unknown part kind '" + p.kind + "'");
    if (p.count < 1 || p.index < 1 || p.index > p.count) throw bad("part " + std::to_string(p.index) + " of " + std::to_string(p.count));
    p.indices = rd.vec<int64_t>();
    if (p.total < 0 || static_cast<int64_t>(p.indices.size()) > p.total) throw bad("more mutants than the campaign has");
    for (size_t k = 0; k < p.indices.size(); ++k)
        if (p.indices[k] < 0 || p.indices[k] >= p.total || (k > 0 && p.indices[k] <= p.indices[k - 1]))
            throw bad("mutant indices not ascending within 0.." + std::to_string(p.total - 1));
    p.batch = rd.i64();
    p.max_memory = rd.i64();
    p.threads = static_cast<int>(rd.i64());
    p.instances = static_cast<int>(rd.i64());
    p.incremental = rd.u64() != 0;
    CampaignResult& r = p.r;
    r.version = rd.str();
    r.model = rd.str();
    r.model_hash = rd.str();
    r.data = rd.str();
    r.recipe = rd.str();
    r.data_hash = rd.str();
    r.inputs = rd.i64();
    r.classes = rd.i64();
    r.batch = rd.i64();
    r.batch_requested = rd.i64();
    r.memory_budget = rd.i64();
    r.bytes_per_input = rd.i64();
    r.batch_fixed_by_model = rd.u64() != 0;
    if (r.inputs < 1 || r.classes < 1) throw bad(std::to_string(r.inputs) + " inputs of " + std::to_string(r.classes) + " classes");
    r.devices = strs(rd, 1024, where);
    const size_t D = r.devices.size();
    r.device_errors = strs(rd, D, where);
    r.device_identities = strs(rd, D, where);
    for (const auto& c : strs(rd, 1024, where)) r.criteria.push_back(parse_criterion(c));
    r.original_correct = rd.vec<int64_t>();
    r.original_seconds = rd.vec<double>();
    if (D == 0 || r.device_errors.size() != D || r.original_correct.size() != D || r.original_seconds.size() != D || r.criteria.empty())
        throw bad("per-device vectors of the wrong length");
    for (int64_t c : r.original_correct)
        if (c < 0 || c > r.inputs) throw bad("the original is correct on " + std::to_string(c) + " of " + std::to_string(r.inputs) + " inputs");
    for (size_t d = 1; d < D; ++d) r.original_vs_first.push_back(campaign_detail::load_disc(rd, r.inputs, r.classes, where));
    r.seconds = rd.f64();
    r.resumed_at_batch = rd.i64();
    const uint64_t M = rd.u64();
    if (M != p.indices.size()) throw bad(std::to_string(M) + " mutant results for " + std::to_string(p.indices.size()) + " indices");
    r.mutants.resize(M);
    for (size_t i = 0; i < M; ++i) {
        MutantResult& m = r.mutants[i];
        m.mutant.spec = MutantSpec::parse(rd.str());
        m.mutant.status = status_named(rd.str(), where);
        m.mutant.reason = rd.str();
        m.mutant.category = rd.str();
        m.mutant.layer = rd.str();
        m.mutant.family = rd.str();
        const std::string who = where + " mutant " + m.mutant.spec.id;
        for (size_t d = 0; d < D; ++d) {
            KillSummary s = campaign_detail::load_summary(rd);
            // KillAccumulator::restore checks every length and count against the campaign.
            KillAccumulator acc(r.inputs, r.classes, r.criteria);  // per-criterion input verdicts too
            if (!s.instance_correct.empty()) acc.set_instances(s.instance_correct.size());
            acc.restore(std::move(s), r.inputs, who);
            DeviceRun run;
            run.summary = acc.take();
            run.seconds = rd.f64();
            if (!(run.seconds >= 0) || !std::isfinite(run.seconds)) throw bad("a time that is negative or not finite");
            m.runs.push_back(std::move(run));
        }
        for (size_t d = 1; d < D; ++d) m.vs_first.push_back(campaign_detail::load_disc(rd, r.inputs, r.classes, who));
    }
    if (!rd.done()) throw bad("trailing bytes");
    return p;
}

inline void write_part(const std::string& path, const CampaignPart& p) { write_durable(path, save_part(p)); }
inline CampaignPart read_part(const std::string& path) { return load_part(read_file_bytes(path), path); }

// The whole campaign from its parts: `where[k]` names part k (its folder or file) in errors. The
// parts must be parts of one campaign (the same key), of one split (the same kind and count),
// each part once, and together every part of the split; each mutant then comes from exactly one
// part. The header (model, data, devices, the original's results) is the first part's in split
// order; a device that failed in any part is reported failed; times are summed.
inline CampaignResult merge_parts(std::vector<CampaignPart> parts, std::vector<std::string> where) {
    if (parts.empty()) throw Error("nothing to merge", "merge", "name the folders of the shards");
    if (where.size() != parts.size()) where.resize(parts.size(), "?");
    std::vector<size_t> order(parts.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return parts[a].index < parts[b].index; });
    const CampaignPart& first = parts[order[0]];
    const std::string at0 = first.label() + " at " + where[order[0]];
    for (size_t k : order) {
        const CampaignPart& p = parts[k];
        if (p.key != first.key)
            throw Error("parts of different campaigns", p.label() + " at " + where[k] + " and " + at0,
                        identity_difference(p.key, first.key) + " (model, data, devices, criteria and mutants must be the same)");
        if (p.kind != first.kind || p.count != first.count)
            throw Error("parts of different splits", p.label() + " at " + where[k] + " and " + at0, "every part must come from the same K/N split");
    }
    for (size_t k = 1; k < order.size(); ++k)
        if (parts[order[k]].index == parts[order[k - 1]].index)
            throw Error(parts[order[k]].label() + " given twice", where[order[k - 1]] + " and " + where[order[k]], "merge each part once");
    if (static_cast<int64_t>(parts.size()) != first.count) {
        std::string missing;
        int64_t n = 0;
        for (int64_t i = 1, k = 0; i <= first.count; ++i) {
            if (k < static_cast<int64_t>(order.size()) && parts[order[static_cast<size_t>(k)]].index == i) {
                ++k;
                continue;
            }
            if (n++ < 8) missing += (missing.empty() ? "" : ", ") + std::to_string(i) + "/" + std::to_string(first.count);
        }
        throw Error("missing " + first.kind + (n == 1 ? " " : "s ") + missing + (n > 8 ? ", ..." : ""), "merge",
                    std::to_string(parts.size()) + " of " + std::to_string(first.count) + " given; run the missing ones and merge every part");
    }
    CampaignResult r = first.r;
    r.mutants.assign(static_cast<size_t>(first.total), MutantResult{});
    std::vector<size_t> from(static_cast<size_t>(first.total), SIZE_MAX);
    r.seconds = 0;
    std::fill(r.original_seconds.begin(), r.original_seconds.end(), 0.0);
    for (size_t k : order) {
        CampaignPart& p = parts[k];
        for (size_t i = 0; i < p.indices.size(); ++i) {
            const size_t g = static_cast<size_t>(p.indices[i]);
            if (from[g] != SIZE_MAX)
                throw Error("mutant " + std::to_string(g) + " is in two parts", where[from[g]] + " and " + where[k], "the parts overlap: they are not one split");
            from[g] = k;
            r.mutants[g] = std::move(p.r.mutants[i]);
        }
        for (size_t d = 0; d < r.devices.size(); ++d) {
            if (r.device_errors[d].empty() && !p.r.device_errors[d].empty()) r.device_errors[d] = p.label() + ": " + p.r.device_errors[d];
            r.original_seconds[d] += p.r.original_seconds[d];
        }
        r.seconds += p.r.seconds;
    }
    for (size_t g = 0; g < from.size(); ++g)
        if (from[g] == SIZE_MAX)
            throw Error("mutant " + std::to_string(g) + " is in no part", "merge", "the parts do not cover the campaign: they are not one split");
    r.identity = first.key;
    r.resumed_at_batch = -1;
    return r;
}

// The options a merged campaign's manifest records: the first part's.
inline CampaignOptions part_options(const CampaignPart& p) {
    CampaignOptions o;
    o.devices = p.r.devices;
    o.criteria = p.r.criteria;
    o.batch = p.batch;
    o.max_memory = p.max_memory;
    o.threads = p.threads;
    o.instances = p.instances;
    o.incremental = p.incremental;
    return o;
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_MERGE_HPP_

// What a campaign writes (docs/formats.md): report.json (everything; timings last, under "timing",
// so two runs with the same results differ only there), mutants.csv (one row per mutant), the kill
// matrix (kill_matrix.txt, format below) and manifest.json (how to reproduce the run). Every file
// is written durably by rename (analysis/checkpoint.hpp), so a crash never leaves half a report.
//
// kill_matrix-D.txt: line 1 "# mutiny kill matrix v1 device=D criterion=prediction inputs=N mutants=M",
// then one line per mutant: its id, a space, and N bits as ceil(N/4) lowercase hex digits; digit k
// holds inputs 4k..4k+3, input 4k in its lowest bit. A 1 bit: the mutant's top-1 differs from the
// original's on that input. Mutants that did not run (invalid, not applicable, equivalent) are all 0.
// Every other criterion with per-input verdicts (killed-classes, distance) has its own matrix,
// kill_matrix-D-CRITERION.txt, the same format: a 1 bit where that criterion kills on the input.
#ifndef MUTINY_REPORT_CAMPAIGN_REPORT_HPP_
#define MUTINY_REPORT_CAMPAIGN_REPORT_HPP_

#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../analysis/campaign.hpp"
#include "../analysis/checkpoint.hpp"
#include "../analysis/prioritize.hpp"
#include "../analysis/scores.hpp"
#include "../ops/isa/dispatch.hpp"
#include "csv.hpp"
#include "json.hpp"
#include "profile_report.hpp"
#include "timing_report.hpp"

namespace mutiny {

namespace report_detail {

inline void score_object(JsonWriter& j, const Score& s, int64_t classes) {
    j.begin_object();
    j.key("mutants").value(s.mutants);
    j.key("killed").value(s.killed);
    j.key("survived").value(s.survived);
    j.key("crashed").value(s.crashed);
    j.key("equivalent").value(s.equivalent);
    j.key("invalid").value(s.invalid);
    j.key("not_applicable").value(s.not_applicable);
    j.key("device_lost").value(s.device_lost);
    j.key("kill_ratio").value(s.kill_ratio());
    j.key("killed_classes_score").value(s.classes_score(classes));
    j.end();
}

inline const std::vector<uint64_t>& bits_of(const CampaignResult& r, size_t i, size_t d) { return r.mutants[i].runs[d].summary.kill_bits; }

inline void disc_object(JsonWriter& j, const Discrepancy& x) {
    j.begin_object();
    j.key("inputs").value(x.inputs);
    j.key("top1_disagreement").value(x.top1_disagreement());
    j.key("top5_jaccard").value(x.top5_jaccard());
    j.key("kendall_tau").value(x.kendall_tau());
    j.key("rbo").value(x.rbo());
    j.key("invalid_a").value(x.invalid_a);
    j.key("invalid_b").value(x.invalid_b);
    j.key("both_invalid").value(x.both_invalid);
    j.key("max_abs_diff").value(x.max_abs);
    j.key("max_rel_diff").value(x.max_rel);
    j.key("degenerate_a").value(x.degenerate_a());
    j.key("degenerate_b").value(x.degenerate_b());
    j.end();
}

}  // namespace report_detail

// A mutant's layer as reports show it: "*" (a mutant of every occurrence, or of the whole model)
// reads as words.
inline std::string layer_label(const std::string& layer) { return layer == "*" ? "(all layers)" : layer; }

// Scores of device d under criterion c, grouped by `by` ("operator", "layer", "category", or "" for all).
inline std::map<std::string, Score> campaign_scores(const CampaignResult& r, size_t d, size_t c, const std::string& by) {
    std::vector<std::string> key;
    std::vector<Verdict> v;
    std::vector<int64_t> kc;
    for (size_t i = 0; i < r.mutants.size(); ++i) {
        const Mutant& m = r.mutants[i].mutant;
        key.push_back(by == "operator" ? operator_label(m.spec) : by == "layer" ? layer_label(m.layer) : by == "category" ? m.category : "all");
        v.push_back(r.verdict_of(i, d, c));
        kc.push_back(r.killed_classes_of(i, d, c));
    }
    return score_by(key, v, kc, r.classes);
}

// Kill-matrix rows (prediction criterion) of the mutants killed on device d.
inline std::vector<const std::vector<uint64_t>*> killed_rows(const CampaignResult& r, size_t d, std::vector<size_t>* which = nullptr) {
    std::vector<const std::vector<uint64_t>*> rows;
    for (size_t i = 0; i < r.mutants.size(); ++i) {
        if (r.mutants[i].mutant.status != MutantStatus::ok) continue;
        const KillSummary& s = r.mutants[i].runs[d].summary;
        if (s.crashed || s.identical || s.prediction_kills == 0) continue;
        rows.push_back(&s.kill_bits);
        if (which) which->push_back(i);
    }
    return rows;
}

// The kill matrices a campaign writes: prediction on every device (kill_matrix-D.txt), then each
// other criterion with per-input verdicts (kill_matrix-D-CRITERION.txt). `criterion` indexes
// r.criteria; kPredictionMatrix stands for prediction, whether or not it is a criterion.
constexpr size_t kPredictionMatrix = static_cast<size_t>(-1);
struct KillMatrixFile {
    size_t device, criterion;
    std::string name;
};
inline std::vector<KillMatrixFile> kill_matrix_files(const CampaignResult& r) {
    std::vector<KillMatrixFile> out;
    for (size_t d = 0; d < r.devices.size(); ++d) {
        const std::string dev = campaign_detail::device_file_name(r.devices[d]);
        out.push_back({d, kPredictionMatrix, "kill_matrix-" + dev + ".txt"});
        for (size_t c = 0; c < r.criteria.size(); ++c)
            if (has_input_verdicts(r.criteria[c]) && r.criteria[c].kind != Criterion::Kind::prediction)
                out.push_back({d, c, "kill_matrix-" + dev + "-" + campaign_detail::device_file_name(r.criteria[c].name()) + ".txt"});
    }
    return out;
}

// Row of mutant i in a kill matrix (null: all 0, the mutant did not run or the device lost it).
inline const std::vector<uint64_t>* kill_matrix_row(const CampaignResult& r, size_t i, size_t d, size_t criterion) {
    if (r.mutants[i].mutant.status != MutantStatus::ok || r.mutants[i].runs.size() <= d) return nullptr;
    const KillSummary& s = r.mutants[i].runs[d].summary;
    if (criterion == kPredictionMatrix) return s.kill_bits.empty() ? nullptr : &s.kill_bits;
    return input_verdicts(s, r.criteria[criterion], criterion);
}

// A kill matrix of the result, as its file holds it (what `mutiny prioritize` reads back).
inline KillMatrix kill_matrix_of(const CampaignResult& r, size_t d, size_t criterion = kPredictionMatrix) {
    KillMatrix m;
    m.device = r.devices[d];
    m.criterion = criterion == kPredictionMatrix ? std::string("prediction") : r.criteria[criterion].name();
    m.inputs = r.inputs;
    const std::vector<uint64_t> none(static_cast<size_t>((r.inputs + 63) / 64), 0);
    for (size_t i = 0; i < r.mutants.size(); ++i) {
        m.ids.push_back(r.mutants[i].mutant.spec.id);
        const std::vector<uint64_t>* row = kill_matrix_row(r, i, d, criterion);
        m.rows.push_back(row ? *row : none);
    }
    return m;
}

inline std::string campaign_report_json(const CampaignResult& r) {
    JsonWriter j;
    j.begin_object();
    j.key("mutiny").value(r.version);
    j.key("model").value(r.model);
    j.key("model_hash").value(r.model_hash);
    j.key("data").value(r.data);
    j.key("recipe").value(r.recipe);
    j.key("inputs").value(r.inputs);
    j.key("classes").value(r.classes);
    j.key("devices").begin_array();
    for (const auto& d : r.devices) j.value(d);
    j.end();
    j.key("criteria").begin_array();
    for (const auto& c : r.criteria) j.value(c.name());
    j.end();
    j.key("original").begin_array();
    for (size_t d = 0; d < r.devices.size(); ++d) {
        j.begin_object();
        j.key("device").value(r.devices[d]);
        j.key("correct").value(r.original_correct[d]);
        j.key("accuracy").value(r.inputs ? static_cast<double>(r.original_correct[d]) / static_cast<double>(r.inputs) : 0.0);
        j.key("error").value(r.device_errors[d]);
        j.end();
    }
    j.end();
    j.key("scores").begin_object();
    for (size_t d = 0; d < r.devices.size(); ++d) {
        j.key(r.devices[d]).begin_object();
        for (size_t c = 0; c < r.criteria.size(); ++c) {
            j.key(r.criteria[c].name()).begin_object();
            j.key("all");
            report_detail::score_object(j, campaign_scores(r, d, c, "").at("all"), r.classes);
            for (const char* by : {"operator", "layer", "category"}) {
                j.key(std::string("by_") + by).begin_object();
                for (const auto& kv : campaign_scores(r, d, c, by)) {
                    j.key(kv.first);
                    report_detail::score_object(j, kv.second, r.classes);
                }
                j.end();
            }
            j.end();
        }
        j.end();
    }
    j.end();
    j.key("kill_matrix_files").begin_array();
    for (const auto& f : kill_matrix_files(r)) {
        j.begin_object();
        j.key("device").value(r.devices[f.device]);
        j.key("criterion").value(f.criterion == kPredictionMatrix ? std::string("prediction") : r.criteria[f.criterion].name());
        j.key("file").value(f.name);
        j.end();
    }
    j.end();
    j.key("kill_matrix").begin_object();
    for (size_t d = 0; d < r.devices.size(); ++d) {
        std::vector<size_t> which;
        const auto rows = killed_rows(r, d, &which);
        j.key(r.devices[d]).begin_object();
        j.key("per_input_kills").inline_array(per_input_kills(rows, r.inputs));
        j.key("redundant_groups").begin_array();
        for (const auto& g : redundant_groups(rows)) {
            j.begin_array();
            for (size_t k : g) j.value(r.mutants[which[k]].mutant.spec.id);
            j.end();
        }
        j.end();
        j.key("trivial").begin_array();
        for (size_t k = 0; k < rows.size(); ++k)
            if (is_trivial(*rows[k], r.inputs)) j.value(r.mutants[which[k]].mutant.spec.id);
        j.end();
        j.end();
    }
    j.end();
    if (r.devices.size() > 1) {
        j.key("discrepancy").begin_array();
        for (size_t d = 1; d < r.devices.size(); ++d) {
            j.begin_object();
            j.key("devices").begin_array().value(r.devices[0]).value(r.devices[d]).end();
            j.key("original");
            report_detail::disc_object(j, r.original_vs_first[d - 1]);
            j.key("mutants").begin_object();
            for (const auto& m : r.mutants) {
                if (m.mutant.status != MutantStatus::ok) continue;
                j.key(m.mutant.spec.id);
                report_detail::disc_object(j, m.vs_first[d - 1]);
            }
            j.end();
            j.end();
        }
        j.end();
    }
    j.key("mutants").begin_array();
    for (size_t i = 0; i < r.mutants.size(); ++i) {
        const MutantResult& m = r.mutants[i];
        j.begin_object();
        j.key("id").value(m.mutant.spec.id);
        j.key("spec").value(m.mutant.spec.str());
        j.key("operator").value(operator_label(m.mutant.spec));
        j.key("family").value(m.mutant.family);
        j.key("category").value(m.mutant.category);
        j.key("layer").value(m.mutant.layer);
        j.key("status").value(mutant_status_name(m.mutant.status));
        j.key("reason").value(m.mutant.reason);
        if (m.mutant.status == MutantStatus::ok) {
            j.key("runs").begin_array();
            for (size_t d = 0; d < r.devices.size(); ++d) {
                const KillSummary& s = m.runs[d].summary;
                j.begin_object();
                j.key("device").value(r.devices[d]);
                j.key("verdicts").begin_object();
                for (size_t c = 0; c < r.criteria.size(); ++c) j.key(r.criteria[c].name()).value(verdict_name(r.verdict_of(i, d, c)));
                j.end();
                j.key("killed_classes").begin_object();
                for (size_t c = 0; c < r.criteria.size(); ++c)
                    if (r.criteria[c].kind == Criterion::Kind::classes_true || r.criteria[c].kind == Criterion::Kind::classes_mutant)
                        j.key(r.criteria[c].name()).value(r.killed_classes_of(i, d, c));
                j.end();
                // Which classes (their labels), not only how many.
                j.key("killed_class_ids").begin_object();
                for (size_t c = 0; c < r.criteria.size(); ++c)
                    if (r.criteria[c].kind == Criterion::Kind::classes_true || r.criteria[c].kind == Criterion::Kind::classes_mutant)
                        j.key(r.criteria[c].name()).inline_array(killed_class_ids(s, r.criteria[c]));
                j.end();
                j.key("accuracy").value(s.inputs ? static_cast<double>(s.correct) / static_cast<double>(s.inputs) : 0.0);
                j.key("prediction_kills").value(s.prediction_kills);
                j.key("max_abs_diff").value(s.max_abs_diff);
                j.key("max_kl").value(s.max_kl);
                j.key("crash").value(s.crash_reason);
                if (!s.instance_correct.empty()) {
                    // A stochastic mutant's seeded instances (DeepCrime's rule, kill.hpp).
                    const DeepCrimeTest t = deepcrime_test(s);
                    j.key("instances").begin_object();
                    j.key("correct").inline_array(s.instance_correct);
                    j.key("wilcoxon_p").value(t.p);
                    j.key("cohen_d").value(t.d);
                    j.end();
                }
                j.end();
            }
            j.end();
        }
        j.end();
    }
    j.end();
    if (r.profile.inputs > 0) {
        j.key("profiles");
        profiles_json(j, r);
    }
    // Everything above is determined by the inputs; only what follows changes from run to run.
    j.key("timing").begin_object();
    j.key("seconds").value(r.seconds);
    j.key("resumed_at_batch").value(r.resumed_at_batch);
    j.key("original_seconds").begin_object();
    for (size_t d = 0; d < r.devices.size(); ++d) j.key(r.devices[d]).value(r.original_seconds[d]);
    j.end();
    j.key("mutant_seconds").begin_object();
    for (size_t d = 0; d < r.devices.size(); ++d) {
        double t = 0;
        for (const auto& m : r.mutants) t += m.runs.empty() ? 0.0 : m.runs[d].seconds;
        j.key(r.devices[d]).value(t);
    }
    j.end();
    timing_views_json(j, r);
    j.end();
    j.end();
    return j.str() + "\n";
}

inline std::string campaign_mutants_csv(const CampaignResult& r) {
    using report_detail::csv_field;
    std::ostringstream os;
    os << "id,operator,family,category,layer,status";
    for (const auto& d : r.devices)
        for (const auto& c : r.criteria) os << "," << csv_field(d + " " + c.name());
    for (const auto& d : r.devices) os << "," << csv_field(d + " accuracy") << "," << csv_field(d + " prediction_kills") << "," << csv_field(d + " seconds");
    std::vector<size_t> class_criteria;
    for (size_t c = 0; c < r.criteria.size(); ++c)
        if (r.criteria[c].kind == Criterion::Kind::classes_true || r.criteria[c].kind == Criterion::Kind::classes_mutant) class_criteria.push_back(c);
    for (const auto& d : r.devices)
        for (size_t c : class_criteria) os << "," << csv_field(d + " " + r.criteria[c].name() + " classes");
    os << ",reason,spec\n";
    for (size_t i = 0; i < r.mutants.size(); ++i) {
        const MutantResult& m = r.mutants[i];
        os << csv_field(m.mutant.spec.id) << ',' << csv_field(operator_label(m.mutant.spec)) << ',' << csv_field(m.mutant.family) << ','
           << csv_field(m.mutant.category) << ',' << csv_field(m.mutant.layer) << ',' << mutant_status_name(m.mutant.status);
        for (size_t d = 0; d < r.devices.size(); ++d)
            for (size_t c = 0; c < r.criteria.size(); ++c) os << ',' << verdict_name(r.verdict_of(i, d, c));
        for (size_t d = 0; d < r.devices.size(); ++d) {
            const KillSummary& s = m.runs[d].summary;
            const bool ran = m.mutant.status == MutantStatus::ok;
            os << ',' << (ran && s.inputs ? json_number(static_cast<double>(s.correct) / static_cast<double>(s.inputs)) : "")
               << ',' << (ran ? std::to_string(s.prediction_kills) : "") << ',' << (ran ? json_number(m.runs[d].seconds) : "");
        }
        // The killed classes, space-separated labels ("" when none or the mutant did not run).
        for (size_t d = 0; d < r.devices.size(); ++d)
            for (size_t c : class_criteria) {
                std::string ids;
                if (m.mutant.status == MutantStatus::ok)
                    for (int64_t k : killed_class_ids(m.runs[d].summary, r.criteria[c])) ids += (ids.empty() ? "" : " ") + std::to_string(k);
                os << ',' << ids;
            }
        const std::string reason = m.mutant.status == MutantStatus::ok && !m.runs.empty() ? m.runs[0].summary.crash_reason : m.mutant.reason;
        os << ',' << csv_field(reason) << ',' << csv_field(m.mutant.spec.str()) << '\n';
    }
    return os.str();
}

inline std::string campaign_kill_matrix(const CampaignResult& r, size_t d, size_t criterion = kPredictionMatrix) {
    std::ostringstream os;
    os << "# mutiny kill matrix v1 device=" << r.devices[d]
       << " criterion=" << (criterion == kPredictionMatrix ? std::string("prediction") : r.criteria[criterion].name()) << " inputs=" << r.inputs
       << " mutants=" << r.mutants.size() << "\n";
    const int64_t digits = (r.inputs + 3) / 4;
    std::string line;
    for (size_t i = 0; i < r.mutants.size(); ++i) {
        line.assign(static_cast<size_t>(digits), '0');
        if (const std::vector<uint64_t>* bits = kill_matrix_row(r, i, d, criterion))
            for (int64_t k = 0; k < digits; ++k) {
                const uint64_t w = (*bits)[static_cast<size_t>((4 * k) / 64)] >> ((4 * k) % 64);
                line[static_cast<size_t>(k)] = "0123456789abcdef"[w & 0xF];
            }
        os << r.mutants[i].mutant.spec.id << ' ' << line << '\n';
    }
    return os.str();
}

// The manifest: what reproduces (and resumes) the run.
inline std::string campaign_manifest_json(const CampaignResult& r, const CampaignOptions& opt, const std::string& command_line) {
    JsonWriter j;
    j.begin_object();
    j.key("mutiny").value(r.version);
    j.key("command").value(command_line);
    j.key("model").value(r.model);
    j.key("model_hash").value(r.model_hash);
    j.key("data").value(r.data);
    j.key("data_hash").value(r.data_hash);
    j.key("recipe").value(r.recipe);
    j.key("inputs").value(r.inputs);
    j.key("devices").begin_array();
    for (const auto& d : r.devices) j.value(d);
    j.end();
    // What each device is (an OpenCL device's name, version and driver): results do not depend on
    // it, cross-device discrepancies may.
    j.key("device_identities").begin_array();
    for (const auto& d : r.device_identities) j.value(d);
    j.end();
    // The CPU kernels' instruction-set level: not part of what reproduces the results (every level
    // gives the same bits), recorded to say how they were computed.
    j.key("isa").value(isa::name(isa::active()));
    j.key("criteria").begin_array();
    for (const auto& c : r.criteria) j.value(c.name());
    j.end();
    j.key("options").begin_object();
    j.key("batch").value(opt.batch);  // as asked: a rerun chooses the same batch on the same budget
    j.key("max_memory").value(opt.max_memory);
    // What ran: the batch the memory budget allowed (report.json leaves it out: results do not
    // depend on it), the budget and the estimate it came from.
    j.key("batch_run").value(r.batch);
    j.key("memory_budget").value(r.memory_budget);
    j.key("bytes_per_input").value(r.bytes_per_input);
    j.key("threads").value(opt.threads);
    j.key("incremental").value(opt.incremental);
    j.key("instances").value(opt.instances);
    j.key("outputs").value(opt.keep_outputs);
    j.key("profile_inputs").value(opt.profile.inputs);
    j.key("profile_atol").value(opt.profile.atol);
    j.key("profile_rtol").value(opt.profile.rtol);
    j.end();
    j.key("mutants").begin_array();
    for (const auto& m : r.mutants) j.value(m.mutant.spec.str());
    j.end();
    j.end();
    return j.str() + "\n";
}

}  // namespace mutiny

#endif  // MUTINY_REPORT_CAMPAIGN_REPORT_HPP_

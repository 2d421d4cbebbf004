// Kill criteria (docs/mutation.md): how a mutant's outputs, compared with the original's on the
// same inputs, become verdicts. Outputs arrive batch by batch; a KillAccumulator keeps only what
// the criteria need (the per-input kill bits, killed classes, correct counts, the largest output
// differences), so a campaign never holds every mutant's logits in memory at once.
#ifndef MUTINY_ANALYSIS_KILL_HPP_
#define MUTINY_ANALYSIS_KILL_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/parallel.hpp"
#include "stats.hpp"

namespace mutiny {

// device_lost: the device failed before the mutant was judged on every input (not the mutant's
// doing: neither killed nor survived, outside the score's denominator).
enum class Verdict : uint8_t { killed, survived, crashed, equivalent, invalid, not_applicable, device_lost };

inline const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::killed: return "killed";
        case Verdict::survived: return "survived";
        case Verdict::crashed: return "crashed";
        case Verdict::equivalent: return "equivalent";
        case Verdict::invalid: return "invalid";
        case Verdict::not_applicable: return "not_applicable";
        case Verdict::device_lost: return "device_lost";
    }
    return "?";
}

// One kill criterion, as named on the command line:
//   prediction                      top-1 differs from the original's on some input
//   killed-classes[:true-label]     DeepMutation: a class (the input's label) is killed when the
//                                   mutant misclassifies an input of it the original gets right
//   killed-classes:mutant-label     DeepMAACC's code: the killed class is the mutant's prediction
//   statistical[:alpha=A]           Fisher's exact test on correct/incorrect counts, p < A (0.05)
//                                   and the mutant less accurate (the monotone form of DeepCrime);
//                                   for a stochastic mutant run as n >= 2 seeded instances,
//                                   DeepCrime's rule on their accuracies (see deepcrime_test)
//   distance[:max=T|:kl=T]          max |output difference| > T (default 1e-3), or the largest
//                                   per-input KL(softmax(original) || softmax(mutant)) > T
struct Criterion {
    enum class Kind : uint8_t { prediction, classes_true, classes_mutant, statistical, distance_max, distance_kl };
    Kind kind = Kind::prediction;
    double param = 0;  // alpha or threshold
    std::string name() const {
        std::ostringstream os;
        switch (kind) {
            case Kind::prediction: return "prediction";
            case Kind::classes_true: return "killed-classes:true-label";
            case Kind::classes_mutant: return "killed-classes:mutant-label";
            case Kind::statistical: os << "statistical:alpha=" << param; return os.str();
            case Kind::distance_max: os << "distance:max=" << param; return os.str();
            case Kind::distance_kl: os << "distance:kl=" << param; return os.str();
        }
        return "?";
    }
};

inline Criterion parse_criterion(const std::string& text) {
    const auto colon = text.find(':');
    const std::string head = text.substr(0, colon), tail = colon == std::string::npos ? "" : text.substr(colon + 1);
    auto number = [&](const std::string& key, double def) {
        if (tail.empty()) return def;
        if (tail.rfind(key + "=", 0) != 0) throw Error("unknown kill criterion option '" + tail + "'", "criterion " + text, "expected " + key + "=VALUE");
        const std::string v = tail.substr(key.size() + 1);
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || !(x > 0) || !std::isfinite(x))
            throw Error("bad value '" + v + "'", "criterion " + text, "a positive number is required");
        return x;
    };
    Criterion c;
    if (head == "prediction" && tail.empty()) c.kind = Criterion::Kind::prediction;
    else if (head == "killed-classes" && (tail.empty() || tail == "true-label")) c.kind = Criterion::Kind::classes_true;
    else if (head == "killed-classes" && tail == "mutant-label") c.kind = Criterion::Kind::classes_mutant;
    else if (head == "statistical") {
        c.kind = Criterion::Kind::statistical;
        c.param = number("alpha", 0.05);
        if (c.param >= 1) throw Error("alpha out of range", "criterion " + text, "0 < alpha < 1");
    } else if (head == "distance" && (tail.empty() || tail.rfind("max=", 0) == 0)) {
        c.kind = Criterion::Kind::distance_max;
        c.param = number("max", 1e-3);
    } else if (head == "distance" && tail.rfind("kl=", 0) == 0) {
        c.kind = Criterion::Kind::distance_kl;
        c.param = number("kl", 1e-3);
    } else
        throw Error("unknown kill criterion '" + text + "'", "--kill",
                    "known: prediction, killed-classes[:true-label|:mutant-label], statistical[:alpha=A], distance[:max=T|:kl=T]");
    return c;
}

inline std::vector<Criterion> parse_criteria(const std::string& list) {
    std::vector<Criterion> out;
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) out.push_back(parse_criterion(item));
    if (out.empty()) throw Error("no kill criterion given", "--kill", "name at least one, e.g. prediction");
    return out;
}

// What one mutant's run over the data set comes to.
struct KillSummary {
    bool crashed = false;             // execution failed, or NaN/Inf in an output
    bool device_lost = false;         // the device failed before every input was run (crash_reason says why)
    std::string crash_reason;
    bool identical = true;            // outputs bitwise equal to the original's on every input
    int64_t inputs = 0;
    int64_t correct = 0;              // mutant top-1 == label
    int64_t original_correct = 0;
    int64_t prediction_kills = 0;     // inputs whose top-1 differs from the original's
    double max_abs_diff = 0;
    double max_kl = 0;
    std::vector<uint64_t> kill_bits;  // per input: top-1 differs (the kill matrix row)
    std::vector<uint8_t> classes_true, classes_mutant;  // per class: killed
    // Stochastic mutants run as n >= 2 seeded instances (CampaignOptions::instances): the correct
    // count of each instance, instance 0 being the mutant itself (== correct). Empty otherwise.
    std::vector<int64_t> instance_correct;
    // Per criterion of the accumulator (KillAccumulator's `criteria`), the inputs on which it kills:
    // killed-classes (an input of a class the original gets right, misclassified) and distance
    // (the input's output difference over the threshold). Empty for prediction (kill_bits is its
    // row) and statistical (no per-input verdict). input_verdicts() picks the row.
    std::vector<std::vector<uint64_t>> input_bits;
};

// Whether a criterion's verdict is made of per-input verdicts, so it has a kill matrix.
inline bool has_input_verdicts(const Criterion& c) { return c.kind != Criterion::Kind::statistical; }

// The kill-matrix row of criterion number c (of those the accumulator was given; prediction
// always has its row): bit i set when the criterion kills on input i. Null when the criterion
// has no per-input verdicts or the summary holds none (a mutant that did not run).
inline const std::vector<uint64_t>* input_verdicts(const KillSummary& s, const Criterion& c, size_t index) {
    if (c.kind == Criterion::Kind::prediction) return s.kill_bits.empty() ? nullptr : &s.kill_bits;
    if (!has_input_verdicts(c) || index >= s.input_bits.size() || s.input_bits[index].empty()) return nullptr;
    return &s.input_bits[index];
}

// DeepCrime's statistical rule over the seeded instances of a stochastic mutant. DeepCrime trains
// n instances of the original and of the mutant and kills when a GLM (or Wilcoxon) test on the two
// accuracy samples gives p < 0.05 and Cohen's d >= 0.5. Here the original is one deterministic
// model: its n "instances" would be n copies of one accuracy, a sample with no variance, and a
// two-sample test against a constant sample is unsound (the GLM's pooled variance then halves the
// mutant's own, and its Wald z-test is anti-conservative at small n). The sound comparison is one
// sample against a known value: the paired differences d_k = original correct - instance k correct
// (k = 0..n-1), tested with the Wilcoxon signed-rank test (H0: the instances' accuracies are
// symmetric about the original's), and Cohen's d of those differences (mean / sd, d_z). Killed when
// p < alpha and d >= 0.5 (the instances are less accurate by at least half their spread).
// Note: with n <= 5 instances no outcome reaches p < 0.05 (the smallest two-sided p is 2 / 2^n).
struct DeepCrimeTest {
    double p = 1, d = 0;
};
inline DeepCrimeTest deepcrime_test(const KillSummary& s) {
    std::vector<double> diff;
    for (int64_t c : s.instance_correct) diff.push_back(static_cast<double>(s.original_correct - c));
    DeepCrimeTest t;
    if (diff.size() < 2) return t;
    t.p = wilcoxon_signed_rank_p(diff);
    t.d = cohen_d_one_sample(diff);
    return t;
}

// Accumulates a mutant's outputs against the original's, batch by batch, in input order.
class KillAccumulator {
public:
    // `criteria`: those whose per-input verdicts are kept (KillSummary::input_bits), in order.
    KillAccumulator(int64_t inputs, int64_t classes, std::vector<Criterion> criteria = {}) : classes_(classes), criteria_(std::move(criteria)) {
        const size_t words = static_cast<size_t>((inputs + 63) / 64);
        s_.kill_bits.assign(words, 0);
        s_.classes_true.assign(static_cast<size_t>(classes), 0);
        s_.classes_mutant.assign(static_cast<size_t>(classes), 0);
        s_.input_bits.resize(criteria_.size());
        for (size_t c = 0; c < criteria_.size(); ++c)
            if (has_input_verdicts(criteria_[c]) && criteria_[c].kind != Criterion::Kind::prediction) s_.input_bits[c].assign(words, 0);
    }

    // What add() needs of the original's outputs on one batch, computed once and shared by every
    // mutant of the batch: per row its top-1 and its log-softmax and softmax (double, shifted by
    // the row's max for range).
    struct Reference {
        int64_t rows = 0, classes = 0;
        std::vector<int64_t> pred;
        std::vector<double> logp, prob;
    };
    static Reference reference(const float* orig, int64_t batch, int64_t C) {
        Reference r;
        r.rows = batch;
        r.classes = C;
        r.pred.resize(static_cast<size_t>(batch));
        r.logp.resize(static_cast<size_t>(batch * C));
        r.prob.resize(static_cast<size_t>(batch * C));
        parallel_chunks(batch, grain_for(batch, 40 * C), [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                const float* o = orig + i * C;
                r.pred[static_cast<size_t>(i)] = argmax(o, C);
                double mo = o[0], zo = 0;
                for (int64_t k = 0; k < C; ++k) mo = std::max(mo, static_cast<double>(o[k]));
                for (int64_t k = 0; k < C; ++k) zo += std::exp(static_cast<double>(o[k]) - mo);
                const double lzo = std::log(zo);
                for (int64_t k = 0; k < C; ++k) {
                    const double lpo = static_cast<double>(o[k]) - mo - lzo;
                    r.logp[static_cast<size_t>(i * C + k)] = lpo;
                    r.prob[static_cast<size_t>(i * C + k)] = std::exp(lpo);
                }
            }
        });
        return r;
    }

    // orig and mut: [batch x classes] logits; labels: the batch's labels (< 0: unlabelled);
    // first: index of the batch's first input in the data set; ref: reference(orig, ...) when the
    // caller keeps one for the batch (else it is computed here). The per-row work runs in
    // parallel chunks; the state is then updated in input order, so the result does not depend
    // on the thread count.
    void add(const float* orig, const float* mut, const int64_t* labels, int64_t batch, int64_t first, const Reference* ref = nullptr) {
        const int64_t C = classes_;
        Reference own;
        if (!ref || ref->rows != batch || ref->classes != C) {
            own = reference(orig, batch, C);
            ref = &own;
        }
        if (s_.identical && std::memcmp(orig, mut, static_cast<size_t>(batch * C) * sizeof(float)) != 0) s_.identical = false;
        struct Row {
            int64_t pred;
            int nonfinite;  // the row's first non-finite output: 0 none, 1 NaN, 2 Inf
            double max_diff, kl;
        };
        std::vector<Row> rows(static_cast<size_t>(batch));
        parallel_chunks(batch, grain_for(batch, 40 * C), [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                const float* o = orig + i * C;
                const float* m = mut + i * C;
                Row& row = rows[static_cast<size_t>(i)];
                row.nonfinite = 0;
                for (int64_t k = 0; k < C; ++k)
                    if (!std::isfinite(m[k])) {
                        row.nonfinite = std::isnan(m[k]) ? 1 : 2;
                        break;
                    }
                row.pred = argmax(m, C);
                double md = 0, mm = m[0];
                for (int64_t k = 0; k < C; ++k) {
                    const double d = std::fabs(static_cast<double>(o[k]) - static_cast<double>(m[k]));
                    if (d > md || std::isnan(d)) md = std::isnan(d) ? INFINITY : std::max(md, d);
                    mm = std::max(mm, static_cast<double>(m[k]));
                }
                row.max_diff = md;
                // KL(softmax(o) || softmax(m)) in double.
                double zm = 0;
                for (int64_t k = 0; k < C; ++k) zm += std::exp(static_cast<double>(m[k]) - mm);
                const double lzm = std::log(zm);
                const double* lpo = ref->logp.data() + i * C;
                const double* po = ref->prob.data() + i * C;
                double kl = 0;
                for (int64_t k = 0; k < C; ++k) kl += po[k] * (lpo[k] - (static_cast<double>(m[k]) - mm - lzm));
                row.kl = kl;
            }
        });
        for (int64_t i = 0; i < batch; ++i) {
            const Row& row = rows[static_cast<size_t>(i)];
            if (row.nonfinite && !s_.crashed) {
                s_.crashed = true;
                s_.crash_reason = std::string(row.nonfinite == 1 ? "NaN" : "Inf") + " in the output for input " + std::to_string(first + i);
            }
            const int64_t po = ref->pred[static_cast<size_t>(i)], pm = row.pred;
            const int64_t y = labels ? labels[i] : -1;
            if (y >= 0 && pm == y) {
                ++s_.correct;
                if (!s_.instance_correct.empty()) ++s_.instance_correct[0];
            }
            if (y >= 0 && po == y) ++s_.original_correct;
            const int64_t idx = first + i;
            const size_t word = static_cast<size_t>(idx / 64);
            const uint64_t bit = uint64_t{1} << (idx % 64);
            const bool class_kill = po != pm && y >= 0 && po == y;
            if (po != pm) {
                ++s_.prediction_kills;
                s_.kill_bits[word] |= bit;
                // Killed classes count only inputs the original classifies correctly.
                if (class_kill) {
                    s_.classes_true[static_cast<size_t>(y)] = 1;
                    s_.classes_mutant[static_cast<size_t>(pm)] = 1;
                }
            }
            // Per-input verdicts, each the input's share of verdict(): the criterion kills the
            // mutant exactly when one of its bits is set.
            for (size_t c = 0; c < criteria_.size(); ++c) {
                if (s_.input_bits[c].empty()) continue;
                bool kill = false;
                switch (criteria_[c].kind) {
                    case Criterion::Kind::classes_true:
                    case Criterion::Kind::classes_mutant: kill = class_kill; break;
                    case Criterion::Kind::distance_max: kill = row.max_diff > criteria_[c].param; break;
                    case Criterion::Kind::distance_kl: kill = std::isfinite(row.kl) && row.kl > criteria_[c].param; break;
                    default: break;
                }
                if (kill) s_.input_bits[c][word] |= bit;
            }
            if (row.max_diff > s_.max_abs_diff || std::isnan(row.max_diff)) s_.max_abs_diff = row.max_diff;
            if (std::isfinite(row.kl)) s_.max_kl = std::max(s_.max_kl, row.kl);
        }
        s_.inputs += batch;
    }

    // Stochastic mutants: n seeded instances, instance 0 being the one add() sees.
    void set_instances(size_t n) { s_.instance_correct.assign(n, 0); }
    // Instance k >= 1 of the mutant on the same batch: only its accuracy is kept.
    void add_instance(size_t k, const float* mut, const int64_t* labels, int64_t batch) {
        const int64_t C = classes_;
        for (int64_t i = 0; i < batch; ++i)
            if (labels && labels[i] >= 0 && argmax(mut + i * C, C) == labels[i]) ++s_.instance_correct[k];
    }

    void crash(const std::string& why) {
        if (!s_.crashed) s_.crash_reason = why;
        s_.crashed = true;
        s_.identical = false;
    }

    const KillSummary& summary() const { return s_; }
    // Continues from a checkpointed summary of the first `processed` inputs. A checkpoint is read
    // from disk, so nothing in it is trusted: every length must be this accumulator's (add() and
    // add_instance() index by them) and every count must be one that `processed` inputs can give.
    void restore(KillSummary s, int64_t processed, const std::string& where) {
        auto bad = [&](const std::string& why) { return Error("checkpoint does not fit this campaign", where, why); };
        if (s.kill_bits.size() != s_.kill_bits.size() || s.classes_true.size() != s_.classes_true.size() ||
            s.classes_mutant.size() != s_.classes_mutant.size() || s.instance_correct.size() != s_.instance_correct.size() ||
            s.input_bits.size() != s_.input_bits.size())
            throw bad("its vectors' lengths (kill bits, classes, instances, per-criterion bits) differ from the campaign's");
        for (size_t c = 0; c < s.input_bits.size(); ++c)
            if (s.input_bits[c].size() != s_.input_bits[c].size()) throw bad("per-input verdicts of criterion " + criteria_[c].name() + " of the wrong length");
        if (processed < 0 || processed > static_cast<int64_t>(s_.kill_bits.size()) * 64) throw bad("it claims " + std::to_string(processed) + " inputs done");
        if (s.inputs < 0 || s.inputs > processed) throw bad(std::to_string(s.inputs) + " inputs counted of " + std::to_string(processed) + " run");
        for (int64_t n : {s.correct, s.original_correct, s.prediction_kills})
            if (n < 0 || n > s.inputs) throw bad("a count of " + std::to_string(n) + " for " + std::to_string(s.inputs) + " inputs");
        for (int64_t n : s.instance_correct)
            if (n < 0 || n > processed) throw bad("an instance count of " + std::to_string(n) + " for " + std::to_string(processed) + " inputs");
        for (size_t w = 0; w < s.kill_bits.size(); ++w) {
            const int64_t lo = static_cast<int64_t>(w) * 64;  // bits at or past `processed` were never run
            const uint64_t allowed = processed >= lo + 64 ? ~uint64_t{0} : processed <= lo ? 0 : (uint64_t{1} << (processed - lo)) - 1;
            if (s.kill_bits[w] & ~allowed) throw bad("kill bits set for inputs not yet run");
            for (const auto& bits : s.input_bits)
                if (!bits.empty() && (bits[w] & ~allowed)) throw bad("per-input verdicts set for inputs not yet run");
        }
        int64_t bits = 0;
        for (uint64_t w : s.kill_bits) bits += static_cast<int64_t>(__builtin_popcountll(w));
        if (bits != s.prediction_kills) throw bad(std::to_string(bits) + " kill bits for " + std::to_string(s.prediction_kills) + " prediction kills");
        for (const auto* v : {&s.classes_true, &s.classes_mutant})
            for (uint8_t b : *v)
                if (b > 1) throw bad("a killed-class flag other than 0 or 1");
        if (!(s.max_abs_diff >= 0) || !(s.max_kl >= 0)) throw bad("a negative or NaN output difference");
        s_ = std::move(s);
    }
    KillSummary take() { return std::move(s_); }

private:
    int64_t classes_;
    std::vector<Criterion> criteria_;
    KillSummary s_;
};

inline int64_t count_set(const std::vector<uint8_t>& v) {
    int64_t n = 0;
    for (uint8_t b : v) n += b ? 1 : 0;
    return n;
}

// The verdict of one criterion. Crashed and equivalent take precedence: a crash
// counts as a kill but is shown apart; bitwise-identical outputs are equivalent under every
// criterion, never "survived".
inline Verdict verdict(const KillSummary& s, const Criterion& c) {
    if (s.device_lost) return Verdict::device_lost;
    if (s.crashed) return Verdict::crashed;
    if (s.identical) return Verdict::equivalent;
    bool killed = false;
    switch (c.kind) {
        case Criterion::Kind::prediction: killed = s.prediction_kills > 0; break;
        case Criterion::Kind::classes_true: killed = count_set(s.classes_true) > 0; break;
        case Criterion::Kind::classes_mutant: killed = count_set(s.classes_mutant) > 0; break;
        case Criterion::Kind::statistical: {
            if (s.instance_correct.size() >= 2) {
                const DeepCrimeTest t = deepcrime_test(s);
                killed = t.p < c.param && t.d >= 0.5;
                break;
            }
            const double p = fisher_exact_two_sided(s.original_correct, s.inputs - s.original_correct, s.correct, s.inputs - s.correct);
            killed = p < c.param && s.correct < s.original_correct;
            break;
        }
        case Criterion::Kind::distance_max: killed = s.max_abs_diff > c.param; break;
        case Criterion::Kind::distance_kl: killed = s.max_kl > c.param; break;
    }
    return killed ? Verdict::killed : Verdict::survived;
}

// What the statistical criterion compares, said where it is chosen and in the report, so a reader
// who knows DeepCrime is not misled: DeepCrime retrains n instances of the original and of the
// mutant and compares the two samples (training variance included); here one fixed original is
// compared with one run of the mutant (instances < 2) or with seeded instances of it.
inline std::string statistical_caveat(int instances) {
    if (instances >= 2)
        return "statistical: each stochastic mutant (GF, WS) runs as " + std::to_string(instances) +
               " seeded instances compared with the one fixed original's accuracy (Wilcoxon signed-rank, Cohen's d); "
               "DeepCrime compares retrained instances of the original and of the mutant, so training variance is not in these verdicts";
    return "statistical: Fisher's exact test on one run of each mutant against the one fixed original; DeepCrime compares "
           "retrained instances of the original and of the mutant (--instances N applies its rule to seeded instances of GF and WS)";
}

// The classes this criterion counts as killed, ascending (killed-classes criteria; empty for the others).
inline std::vector<int64_t> killed_class_ids(const KillSummary& s, const Criterion& c) {
    const std::vector<uint8_t>* v = c.kind == Criterion::Kind::classes_true ? &s.classes_true : c.kind == Criterion::Kind::classes_mutant ? &s.classes_mutant : nullptr;
    std::vector<int64_t> ids;
    if (v)
        for (size_t k = 0; k < v->size(); ++k)
            if ((*v)[k]) ids.push_back(static_cast<int64_t>(k));
    return ids;
}

// Classes this criterion counts as killed (killed-classes criteria; empty for the others).
inline int64_t killed_classes(const KillSummary& s, const Criterion& c) {
    if (c.kind == Criterion::Kind::classes_true) return count_set(s.classes_true);
    if (c.kind == Criterion::Kind::classes_mutant) return count_set(s.classes_mutant);
    return 0;
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_KILL_HPP_

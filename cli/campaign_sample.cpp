// `mutiny campaign ... --sample N[:SEED][,strata=S] [--until ci=H]`: a stratified random sample of
// the mutant list (analysis/sample.hpp), run as a campaign of its own, and the whole list's scores
// estimated with 95% confidence intervals. With --until the sample doubles (the same seed: each
// sample holds the previous one, so only the new mutants run) until every interval's half-width is
// at most H, or the whole list ran. Each round is a part (merge.hpp) in DIR/rounds/, checkpointed
// per batch: --resume keeps the rounds done and resumes the interrupted one.
#include "campaign_shard.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <mutiny/report/html.hpp>
#include <mutiny/report/json.hpp>

namespace cli {

SampleOption sample_option(const Args& a) {
    SampleOption o;
    if (a.has("sample")) {
        const std::string v = a.get("sample");
        std::string head = v;
        const size_t comma = v.find(',');
        if (comma != std::string::npos) {
            head = v.substr(0, comma);
            const std::string rest = v.substr(comma + 1);
            if (rest.rfind("strata=", 0) != 0) throw UsageError("option --sample takes N[:SEED][,strata=operator|layer|operator*layer], got '" + v + "'");
            o.plan.strata = rest.substr(7);
            if (o.plan.strata != "operator" && o.plan.strata != "layer" && o.plan.strata != "operator*layer")
                throw UsageError("option --sample: unknown strata '" + o.plan.strata + "' (operator, layer or operator*layer)");
        }
        const size_t colon = head.find(':');
        o.plan.size = parse_int(head.substr(0, colon), "--sample", 1, INT64_MAX);
        if (colon != std::string::npos) o.plan.seed = parse_u64(head.substr(colon + 1), "--sample (seed)");
    }
    if (a.has("until")) {
        const std::string v = a.get("until");
        if (v.rfind("ci=", 0) != 0) throw UsageError("option --until takes ci=H (the largest 95% interval half-width, e.g. ci=0.01), got '" + v + "'");
        o.until = parse_number(v.substr(3), "--until ci", 0, 0.5);
        if (!(o.until > 0)) throw UsageError("option --until ci=H needs 0 < H <= 0.5, got '" + v + "'");
    }
    return o;
}

namespace {

// The sampled mutants' results, in list order, as one campaign result over them.
struct Sampled {
    mutiny::CampaignResult r;
    std::vector<int64_t> index;
};

Sampled join(std::vector<mutiny::CampaignPart>& parts) {
    std::map<int64_t, mutiny::MutantResult> by;
    for (auto& p : parts)
        for (size_t i = 0; i < p.indices.size(); ++i) by[p.indices[i]] = std::move(p.r.mutants[i]);
    Sampled s;
    s.r = parts.front().r;
    s.r.mutants.clear();
    s.r.seconds = 0;
    for (const auto& p : parts) s.r.seconds += p.r.seconds;
    for (auto& kv : by) {
        s.index.push_back(kv.first);
        s.r.mutants.push_back(std::move(kv.second));
    }
    return s;
}

std::string interval(const mutiny::ScoreEstimate& e) {
    char b[96];
    std::snprintf(b, sizeof b, "%.2f%% [%.2f%%, %.2f%%]", 100 * e.value, 100 * e.low, 100 * e.high);
    return b;
}

void estimate_object(mutiny::JsonWriter& j, const mutiny::ScoreEstimate& e) {
    j.begin_object();
    j.key("estimate").value(e.value);
    j.key("low").value(e.low);
    j.key("high").value(e.high);
    j.end();
}

}  // namespace

namespace {

// One round's chunks, run over an MPI job, as the round's part (the sampled mutants in list order).
mutiny::CampaignPart round_part(std::vector<mutiny::CampaignPart> chunks, int64_t round, int64_t total) {
    const mutiny::CampaignPart& first = chunks.front();
    mutiny::CampaignPart p;
    p.kind = "sample";
    p.index = p.count = round;
    p.key = first.key;
    p.total = total;
    p.batch = first.batch;
    p.max_memory = first.max_memory;
    p.threads = first.threads;
    p.instances = first.instances;
    p.incremental = first.incremental;
    Sampled got = join(chunks);
    p.r = std::move(got.r);
    p.indices = std::move(got.index);
    return p;
}

int sample_rounds(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const SampleOption& o, const std::string& command_line, MpiJob* job,
                  int64_t chunks);

}  // namespace

int run_campaign_sample(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const SampleOption& o, const std::string& command_line, bool mpi,
                        int64_t chunks) {
    if (!mpi) return sample_rounds(s, all, o, command_line, nullptr, 0);
    MpiJob job;
    try {
        return sample_rounds(s, all, o, command_line, &job, chunks);
    } catch (const std::exception& e) {
        job.abort(e);
    }
}

namespace {

// The rounds; with `job`, every rank runs this in step: each round over the ranks, rank 0 alone
// keeps the results, decides whether to go on (and tells the others) and writes the files.
int sample_rounds(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const SampleOption& o, const std::string& command_line, MpiJob* job,
                  int64_t chunks) {
    const bool lead = !job || job->rank == 0;
    const int64_t N = static_cast<int64_t>(all.size());
    mutiny::SamplePlan plan = o.plan;
    if (plan.size == 0) plan.size = std::min<int64_t>(N, std::max<int64_t>(30, (N + 99) / 100));  // --until alone: start at 1%
    if (plan.size > N)
        throw mutiny::Error("sample larger than the population", "--sample " + std::to_string(plan.size),
                            "the campaign has " + std::to_string(N) + " mutants; drop --sample to run them all");
    const std::string key = whole_campaign_key(s, all);
    const std::string rounds = s.options.out_dir + "/rounds";
    std::error_code ec;
    if (lead) std::filesystem::create_directories(rounds, ec);
    if (ec) throw mutiny::Error("cannot create the rounds folder", rounds, ec.message());
    std::vector<bool> ran(all.size(), false);
    std::vector<mutiny::CampaignPart> parts;
    Sampled got;
    double worst = 0;
    std::string data_hash;  // the first round's, handed to the next (a pass over the data less each)
    for (int64_t round = 1;; ++round) {
        std::vector<size_t> fresh;
        for (size_t i : mutiny::stratified_sample(all, plan))
            if (!ran[i]) fresh.push_back(i);
        const std::string file = rounds + "/round-" + std::to_string(round) + ".bin";
        mutiny::CampaignPart p;
        // Whether this round's part is on disk: rank 0 looks and tells the others.
        bool stored = lead && s.options.resume && std::filesystem::exists(file);
        if (job) stored = job->agree(stored);
        if (stored) {
            if (lead) {
                p = mutiny::read_part(file);
                if (p.key != key || p.indices.size() != fresh.size() || !std::equal(fresh.begin(), fresh.end(), p.indices.begin()))
                    throw mutiny::Error("round belongs to another campaign or sample", file, "use another --out folder, or drop --resume to start over");
            }
        } else {
            if (lead) std::filesystem::remove(file, ec);
            SplitCampaign mine = s;
            mine.options.out_dir = rounds + "/round-" + std::to_string(round);
            mine.options.keep_outputs = false;
            mine.options.data_hash = data_hash;
            if (!s.quiet && lead) std::cerr << "sample round " << round << ": " << fresh.size() << " more mutants (" << plan.size << " of " << N << ")\n";
            if (job) {
                MpiRun run = job->run(mine, all, key, fresh, mine.options.out_dir + "/chunks", chunks);
                if (lead) p = round_part(std::move(run.parts), round, N);
            } else {
                p = run_campaign_part(mine, all, key, fresh, "sample", round, round);
            }
            if (lead) mutiny::write_part(file, p);
        }
        for (size_t i : fresh) ran[i] = true;
        bool more = false;
        if (lead) {
            data_hash = p.r.data_hash;
            parts.push_back(std::move(p));
            std::vector<mutiny::CampaignPart> copy = parts;
            got = join(copy);
            worst = 0;
            for (size_t d = 0; d < got.r.devices.size(); ++d)
                for (size_t c = 0; c < got.r.criteria.size(); ++c) {
                    const mutiny::SampledScores e = mutiny::estimate_scores(all, plan.strata, got.r, got.index, d, c);
                    worst = std::max(worst, e.kill_ratio.half_width());
                    if (mutiny::has_classes_score(got.r.criteria[c])) worst = std::max(worst, e.classes_score.half_width());
                }
            more = !(o.until <= 0 || worst <= o.until || plan.size >= N);
        }
        if (job) more = job->agree(more);
        if (!more) break;
        plan.size = std::min(N, 2 * plan.size);
    }
    if (!lead) return 0;
    mutiny::write_campaign_report(s.options.out_dir, got.r, s.options, command_line);
    mutiny::JsonWriter j;
    j.begin_object();
    j.key("population").value(N);
    j.key("sample").value(static_cast<int64_t>(got.index.size()));
    j.key("seed").value(std::to_string(plan.seed));
    j.key("strata").value(plan.strata);
    j.key("rounds").value(static_cast<int64_t>(parts.size()));
    j.key("until").value(o.until);
    j.key("interval").value("95%: Wilson's score interval (Student's t quantile, n - H degrees of freedom) at the effective sample size of the stratified combined ratio estimator, with finite-population correction");
    j.key("estimates").begin_object();
    for (size_t d = 0; d < got.r.devices.size(); ++d) {
        j.key(got.r.devices[d]).begin_object();
        for (size_t c = 0; c < got.r.criteria.size(); ++c) {
            const mutiny::SampledScores e = mutiny::estimate_scores(all, plan.strata, got.r, got.index, d, c);
            j.key(got.r.criteria[c].name()).begin_object();
            j.key("kill_ratio");
            estimate_object(j, e.kill_ratio);
            if (mutiny::has_classes_score(got.r.criteria[c])) {
                j.key("killed_classes_score");
                estimate_object(j, e.classes_score);
            }
            j.end();
            std::cout << "estimate " << got.r.devices[d] << " " << got.r.criteria[c].name() << ": kill ratio " << interval(e.kill_ratio)
                      << (mutiny::has_classes_score(got.r.criteria[c]) ? ", classes score " + interval(e.classes_score) : std::string()) << "\n";
        }
        j.end();
    }
    j.end();
    j.end();
    mutiny::write_durable(s.options.out_dir + "/estimate.json", j.str() + "\n");
    std::cout << "sample: " << got.index.size() << " of " << N << " mutants (strata " << plan.strata << ", seed " << plan.seed << ", " << parts.size()
              << (parts.size() == 1 ? " round" : " rounds") << "), 95% intervals; report: " << s.options.out_dir << "/report.html\n";
    check_some_device_ran(got.r, s.model_path);
    return 0;
}

}  // namespace

}  // namespace cli

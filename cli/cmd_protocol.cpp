// mutiny protocol: DeepMAACC's evaluation of its two accelerations on one model and
// data set. Runs the exhaustive (vanilla) campaign once, then neuron clustering for each s and
// mutant clustering for each (features, threshold), each as a full campaign of what the clustering
// leaves, and reports per configuration: mutants executed, total time (clustering included),
// speed-up against vanilla and the signed and absolute score error. Writes DIR/protocol.csv,
// protocol.json, protocol.md and report.html (table, speed-up vs error chart, dendrograms).
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <mutiny/analysis/campaign.hpp>
#include <mutiny/analysis/scores.hpp>
#include <mutiny/cluster/accelerate.hpp>
#include <mutiny/io/dataset.hpp>
#include <mutiny/mutate/all.hpp>
#include <mutiny/report/campaign_report.hpp>
#include <mutiny/report/cluster_report.hpp>
#include <mutiny/report/html.hpp>
#include <mutiny/report/json.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "model_file.hpp"
#include "protocol_sampling.hpp"

namespace cli {

namespace {

struct ProtocolRow {
    std::string series, config;
    int64_t executed = 0;
    double clustering_seconds = 0, campaign_seconds = 0;
    double kill_ratio = 0, classes_score = 0;
    double cpu_seconds = 0;  // process CPU time of clustering and campaign (all threads)
    double total() const { return clustering_seconds + campaign_seconds; }
};

// Process CPU time: on a shared machine, other processes stretch wall times by whatever share of the
// cores they take; CPU time counts only this process's work, so speed-ups are read from it.
double cpu_now() {
    timespec t{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

std::vector<double> parse_number_list(const std::string& text, const std::string& option) {
    std::vector<double> v;
    for (const auto& item : split_list(text)) {
        // a..b (integers, step 1) or a number
        const size_t dots = item.find("..");
        if (dots != std::string::npos) {
            const int64_t lo = parse_int(item.substr(0, dots), "--" + option + " (range start)", 1, 1000);
            const int64_t hi = parse_int(item.substr(dots + 2), "--" + option + " (range end)", lo, 1000);
            for (int64_t x = lo; x <= hi; ++x) v.push_back(static_cast<double>(x));
            continue;
        }
        v.push_back(parse_number(item, "--" + option, -DBL_MAX, DBL_MAX));
    }
    return v;
}

}  // namespace

int cmd_protocol(int argc, char** argv) {
    Args a(argc, argv, 2, {"data", "ops", "s", "thresholds", "features", "kill", "out", "threads", "batch", "preprocess", "probe", "rep", "seed", "sample-seeds", "strata"},
           {"help", "quiet"});
    if (a.has("help")) {
        std::cout << "usage: mutiny protocol MODEL --data SPEC --out DIR [--ops LIST] [--s LIST] [--thresholds LIST]\n"
                     "                       [--features weights,behaviour] [--rep medoid|random] [--probe P] [--seed S]\n"
                     "                       [--kill CRITERION] [--threads N] [--batch N] [--max-memory SIZE] [--preprocess RECIPE]\n"
                     "                       [--sample-seeds N] [--strata operator|layer|operator*layer] [--quiet]\n"
                     "DeepMAACC's protocol: the exhaustive campaign of --ops (default vanilla), then one campaign per\n"
                     "neuron clustering s in --s (default 1..10) and per mutant clustering threshold in --thresholds\n"
                     "(default 0.1,...,0.9) for each of --features; per run: mutants executed, time with clustering,\n"
                     "speed-up (time saved) and signed / absolute error of the score of --kill (default\n"
                     "killed-classes:mutant-label: DeepMAACC's killed-classes score) against the exhaustive run.\n"
                     "Then sampling (campaign --sample), from the exhaustive run's results: over --sample-seeds seeds\n"
                     "(default 200; 0: none) per sample size (2, 5, 10, 20, 50% of the list; strata --strata, default\n"
                     "operator), how often the 95% interval covers the exhaustive kill ratio and killed-classes score\n"
                     "and the error, and sampling against each clustering run at equal speed-up.\n"
                     "Writes DIR/protocol.csv, protocol.json, protocol.md and report.html.\n";
        return 0;
    }
    if (a.positionals().size() != 1) throw UsageError("protocol needs exactly one MODEL");
    if (!a.has("data")) throw UsageError("protocol needs --data SPEC");
    if (!a.has("out")) throw UsageError("protocol needs --out DIR");
    const std::string path = a.positionals()[0];
    const int sample_seeds = static_cast<int>(a.get_int("sample-seeds", 200, 0, 100000));
    const std::string strata = a.get("strata", "operator");
    if (strata != "operator" && strata != "layer" && strata != "operator*layer")
        throw UsageError("option --strata: unknown strata '" + strata + "' (operator, layer or operator*layer)");
    Feeding f = prepare_feeding(path, a);
    mutiny::EnumerateOptions eo;
    eo.ops = {a.get("ops", "vanilla")};
    eo.seed = seed_option(a);
    const std::vector<mutiny::Mutant> vanilla = mutiny::enumerate_mutants(f.model.graph, eo);
    std::vector<std::string> plans;
    for (double s : parse_number_list(a.get("s", "1..10"), "s")) {
        if (s < 1 || s != std::floor(s)) throw UsageError("--s: each s must be an integer >= 1");
        plans.push_back("neurons:s=" + std::to_string(static_cast<long>(s)));
    }
    const std::vector<double> thresholds = parse_number_list(a.get("thresholds", "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9"), "thresholds");
    for (const auto& feat : split_list(a.get("features", "weights,behaviour")))
        for (double t : thresholds) {
            char b[256];
            std::snprintf(b, sizeof b, "mutants:threshold=%g,features=%s,rep=%s,probe=%lld,seed=%llu", t, feat.c_str(), a.get("rep", "medoid").c_str(),
                          static_cast<long long>(a.get_int("probe", 100, 1, INT32_MAX)), static_cast<unsigned long long>(seed_option(a)));
            plans.push_back(b);
        }
    std::vector<mutiny::cluster::ClusterPlan> parsed;
    for (const auto& p : plans) parsed.push_back(mutiny::cluster::ClusterPlan::parse(p));  // all errors before any run

    mutiny::CampaignOptions opt;
    opt.criteria = mutiny::parse_criteria(a.get("kill", "killed-classes:mutant-label"));
    if (opt.criteria.size() != 1) throw UsageError("--kill: the protocol scores one criterion");
    opt.threads = threads_option(a);
    opt.batch = batch_option(a, 1000);
    opt.max_memory = global_max_memory();
    opt.keep_outputs = false;  // out_dir stays empty: the runs write nothing, so times compare
    auto ds = mutiny::open_dataset(a.get("data"));
    check_recipe_applies(a, *ds);
    const std::string hash = model_file_hash(path);
    const bool quiet = a.has("quiet");

    auto run = [&](const std::vector<mutiny::Mutant>& ms) {
        mutiny::Campaign c(f.model.graph, ms, *ds, f.recipe, a.get("data"), opt, path, hash);
        return c.run();
    };
    // The exhaustive run.
    if (!quiet) std::cerr << "protocol: vanilla, " << vanilla.size() << " mutants x " << ds->size() << " inputs\n";
    const double c0 = cpu_now();
    const mutiny::CampaignResult base = run(vanilla);
    const double base_cpu = cpu_now() - c0;
    ProtocolRow v;
    v.series = "vanilla";
    v.config = "exhaustive";
    {
        const mutiny::Score s = mutiny::cluster::weighted_score(base, 0, 0, {});
        for (const auto& m : vanilla) v.executed += m.status == mutiny::MutantStatus::ok ? 1 : 0;  // as acc.clusters counts
        v.campaign_seconds = base.seconds;
        v.cpu_seconds = base_cpu;
        v.kill_ratio = s.kill_ratio();
        v.classes_score = s.classes_score(base.classes);
    }
    std::vector<ProtocolRow> rows{v};
    std::vector<std::string> dendrograms;
    std::vector<mutiny::SpeedupPoint> points;
    for (size_t k = 0; k < parsed.size(); ++k) {
        const auto& plan = parsed[k];
        const double t0 = cpu_now();
        const mutiny::cluster::Acceleration acc = mutiny::cluster::accelerate(f.model.graph, vanilla, plan, ds.get(), &f.recipe, opt.threads, 1);
        const mutiny::CampaignResult r = run(acc.mutants);
        const double cpu = cpu_now() - t0;
        const mutiny::Score s = mutiny::cluster::estimated_score(r, 0, 0, acc);
        ProtocolRow row;
        row.series = plan.mode == mutiny::cluster::ClusterPlan::Mode::neurons
                         ? "neurons"
                         : std::string("mutants/") + (plan.mutants.features == mutiny::cluster::MutantFeatures::weights ? "weights" : "behaviour");
        row.config = plan.str();
        row.executed = acc.clusters;
        row.clustering_seconds = acc.seconds;
        row.campaign_seconds = r.seconds;
        row.cpu_seconds = cpu;
        row.kill_ratio = s.kill_ratio();
        row.classes_score = s.classes_score(r.classes);
        rows.push_back(row);
        const std::string label = plan.mode == mutiny::cluster::ClusterPlan::Mode::neurons ? "s=" + std::to_string(plan.s) : mutiny::fmt_num(plan.mutants.threshold, "%g");
        points.push_back({label, row.series, 1 - row.cpu_seconds / v.cpu_seconds, row.classes_score - v.classes_score});
        // One dendrogram per series (s = 3 and threshold 0.3 when present, else the first).
        const bool wanted = (plan.mode == mutiny::cluster::ClusterPlan::Mode::neurons && plan.s == 3) ||
                            (plan.mode == mutiny::cluster::ClusterPlan::Mode::mutants && std::fabs(plan.mutants.threshold - 0.3) < 1e-12);
        if (wanted && !acc.dendrograms.empty()) dendrograms.push_back(mutiny::svg_dendrogram(acc.dendrograms[0]));
        if (!quiet)
            std::fprintf(stderr, "protocol: %-70s %5lld mutants %8.2f s (CPU %.2f s)\n", row.config.c_str(), static_cast<long long>(row.executed), row.total(),
                         row.cpu_seconds);
    }

    // Outputs.
    const std::string crit = opt.criteria[0].name();
    std::ostringstream csv, md;
    csv << "series,config,executed,clustering_s,campaign_s,total_s,cpu_s,speedup,time_ratio,kill_ratio,classes_score,error_pp,abs_error_pp\n";
    md << "| series | configuration | mutants executed | wall s (clustering s) | CPU s | speed-up (CPU) | classes score | error (pp) | abs error (pp) | kill ratio |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    mutiny::JsonWriter j;
    j.begin_object();
    j.key("model").value(path);
    j.key("data").value(a.get("data"));
    j.key("inputs").value(base.inputs);
    j.key("criterion").value(crit);
    j.key("rows").begin_array();
    for (const auto& r : rows) {
        const double speedup = 1 - r.cpu_seconds / v.cpu_seconds, ratio = v.cpu_seconds / r.cpu_seconds;
        const double err = 100 * (r.classes_score - v.classes_score);
        char line[1024];
        std::snprintf(line, sizeof line, "%s,%s,%lld,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.6f,%.6f,%.4f,%.4f\n", r.series.c_str(), mutiny::report_detail::csv_field(r.config).c_str(),
                      static_cast<long long>(r.executed), r.clustering_seconds, r.campaign_seconds, r.total(), r.cpu_seconds, speedup, ratio, r.kill_ratio, r.classes_score, err,
                      std::fabs(err));
        csv << line;
        std::snprintf(line, sizeof line, "| %s | %s | %lld | %.2f (%.2f) | %.2f | %.2f%% | %.2f%% | %+.2f | %.2f | %.2f%% |\n", r.series.c_str(), r.config.c_str(),
                      static_cast<long long>(r.executed), r.total(), r.clustering_seconds, r.cpu_seconds, 100 * speedup, 100 * r.classes_score, err, std::fabs(err),
                      100 * r.kill_ratio);
        md << line;
        j.begin_object();
        j.key("series").value(r.series);
        j.key("config").value(r.config);
        j.key("executed").value(r.executed);
        j.key("clustering_seconds").value(r.clustering_seconds);
        j.key("campaign_seconds").value(r.campaign_seconds);
        j.key("cpu_seconds").value(r.cpu_seconds);
        j.key("speedup").value(speedup);
        j.key("kill_ratio").value(r.kill_ratio);
        j.key("classes_score").value(r.classes_score);
        j.key("error_pp").value(err);
        j.end();
    }
    j.end();
    std::ostringstream sampling_html;
    if (sample_seeds > 0) {
        std::vector<ClusteringRun> runs;
        for (size_t k = 1; k < rows.size(); ++k)
            runs.push_back({rows[k].series, rows[k].config, 1 - rows[k].cpu_seconds / v.cpu_seconds, rows[k].classes_score - v.classes_score});
        protocol_sampling(vanilla, base, strata, sample_seeds, runs, md, sampling_html, j);
    }
    j.end();
    const std::string dir = a.get("out");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir))
        throw mutiny::Error("cannot create the output folder", dir, ec ? ec.message() : "exists and is not a folder");
    mutiny::write_durable(dir + "/protocol.csv", csv.str());
    mutiny::write_durable(dir + "/protocol.md", md.str());
    mutiny::write_durable(dir + "/protocol.json", j.str() + "\n");
    std::ostringstream html;
    html << "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Mutiny acceleration protocol: " << mutiny::html_escape(path) << "</title>\n"
         << "<style>body{font-family:sans-serif;margin:24px;max-width:1200px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}"
            "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}</style></head><body>\n"
         << "<h1>Acceleration protocol: " << mutiny::html_escape(path) << "</h1>\n<p>Data <b>" << mutiny::html_escape(a.get("data")) << "</b> (" << base.inputs
         << " inputs); score: " << mutiny::html_escape(crit) << " (DeepMAACC's killed-classes score); vanilla: " << v.executed << " mutants, "
         << mutiny::fmt_num(v.total(), "%.2f") << " s wall, " << mutiny::fmt_num(v.cpu_seconds, "%.2f") << " s CPU. Speed-up = CPU time saved against vanilla, clustering included "
            "(CPU time, because other processes stretch wall times on a shared machine); error = estimated minus vanilla score.</p>\n"
         << mutiny::svg_speedup_error(points, "Speed-up vs score error")
         << "<table><tr><th class='l'>series</th><th class='l'>configuration</th><th>executed</th><th>total s</th><th>clustering s</th><th>speed-up</th>"
            "<th>classes score</th><th>error (pp)</th><th>kill ratio</th></tr>\n";
    for (const auto& r : rows)
        html << "<tr><td class='l'>" << mutiny::html_escape(r.series) << "</td><td class='l'>" << mutiny::html_escape(r.config) << "</td><td>" << r.executed << "</td><td>"
             << mutiny::fmt_num(r.total(), "%.2f") << "</td><td>" << mutiny::fmt_num(r.clustering_seconds, "%.3f") << "</td><td>" << mutiny::fmt_pct(1 - r.cpu_seconds / v.cpu_seconds) << "</td><td>"
             << mutiny::fmt_pct(r.classes_score) << "</td><td>" << mutiny::fmt_num(100 * (r.classes_score - v.classes_score), "%+.2f") << "</td><td>" << mutiny::fmt_pct(r.kill_ratio)
             << "</td></tr>\n";
    html << "</table>\n" << sampling_html.str() << "<h2>Dendrograms</h2>\n";
    for (const auto& d : dendrograms) html << d;
    html << "</body></html>\n";
    mutiny::write_durable(dir + "/report.html", html.str());
    std::cout << md.str() << "protocol: " << dir << "/report.html\n";
    return 0;
}

}  // namespace cli

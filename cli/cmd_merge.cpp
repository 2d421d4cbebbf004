// mutiny merge DIR... --out DIR: the report of a campaign run as shards (campaign --shard K/N),
// rebuilt from every shard's shard.bin and written by the writer a single run uses, so the files
// are the single run's (timings aside).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <mutiny/analysis/merge.hpp>
#include <mutiny/analysis/scores.hpp>
#include <mutiny/report/campaign_report.hpp>
#include <mutiny/report/html.hpp>

#include "args.hpp"
#include "commands.hpp"

namespace cli {

int cmd_merge(int argc, char** argv) {
    Args a(argc, argv, 2, {"out"}, {"help", "quiet"});
    if (a.has("help")) {
        std::cout << "usage: mutiny merge DIR... --out DIR [--quiet]\n"
                     "Joins the shards of one campaign (each DIR the --out folder of `mutiny campaign ... --shard K/N`,\n"
                     "or its shard.bin) into the whole campaign's report in --out: report.json, mutants.csv,\n"
                     "kill_matrix-DEVICE.txt, manifest.json, report.html, the files one process would have written\n"
                     "(timings aside). Every shard K/N for K = 1..N must be given once, in any order; shards of another\n"
                     "campaign (model, data, devices, criteria or mutants), duplicates and missing shards are refused by\n"
                     "name. Outputs (outputs-DEVICE.f32) stay in the shards' folders, one row per mutant of shard.bin.\n";
        return 0;
    }
    if (a.positionals().empty()) throw UsageError("merge needs the shards' folders: mutiny merge DIR... --out DIR");
    if (!a.has("out")) throw UsageError("merge needs --out DIR");
    std::vector<mutiny::CampaignPart> parts;
    std::vector<std::string> where;
    for (const std::string& p : a.positionals()) {
        const std::string file = std::filesystem::is_directory(p) ? p + "/shard.bin" : p;
        if (!std::filesystem::exists(file))
            throw mutiny::Error("no shard result", file,
                                "the shard has not finished (rerun its campaign command with --resume), or this is not a shard's folder");
        parts.push_back(mutiny::read_part(file));
        where.push_back(p);
    }
    const mutiny::CampaignOptions opt = mutiny::part_options(parts.front());
    const int64_t nparts = static_cast<int64_t>(parts.size());
    const mutiny::CampaignResult r = mutiny::merge_parts(std::move(parts), where);
    const std::string out = a.get("out");
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec || !std::filesystem::is_directory(out)) throw mutiny::Error("cannot create the output folder", out, ec ? ec.message() : "exists and is not a folder");
    std::string command = "mutiny";
    for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
    mutiny::write_campaign_report(out, r, opt, command);
    char line[512];
    std::snprintf(line, sizeof line, "merged %lld shards: %zu mutants x %lld inputs\n", static_cast<long long>(nparts), r.mutants.size(),
                  static_cast<long long>(r.inputs));
    std::cout << line;
    for (size_t d = 0; d < r.devices.size(); ++d)
        for (size_t c = 0; c < r.criteria.size(); ++c) {
            const mutiny::Score s = mutiny::campaign_scores(r, d, c, "").at("all");
            std::snprintf(line, sizeof line, "%-8s %-29s %7lld counted %7lld killed  kill ratio %6.2f%%  classes score %s\n", r.devices[d].c_str(),
                          r.criteria[c].name().c_str(), static_cast<long long>(s.counted()), static_cast<long long>(s.killed + s.crashed),
                          100 * s.kill_ratio(), mutiny::classes_score_text(r.criteria[c], s, r.classes).c_str());
            std::cout << line;
        }
    std::cout << "report: " << out << "/report.html\n";
    return 0;
}

}  // namespace cli

// mutiny prioritize CAMPAIGN_DIR [--device D] [--criterion C] [--out FILE.csv|-]: ranks the
// campaign's inputs by the mutants they kill (analysis/prioritize.hpp), total and additional, from
// one of its kill matrices; writes the rankings as CSV and their curves as prioritization.html.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <mutiny/analysis/campaign_files.hpp>
#include <mutiny/analysis/checkpoint.hpp>
#include <mutiny/analysis/prioritize.hpp>
#include <mutiny/core/error.hpp>
#include <mutiny/report/prioritization.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "replacing_file.hpp"

namespace cli {

int cmd_prioritize(int argc, char** argv) {
    Args a(argc, argv, 2, {"device", "criterion", "out"}, {"help"});
    if (a.has("help")) {
        std::cout << "usage: mutiny prioritize CAMPAIGN_DIR [--device D] [--criterion C] [--out FILE.csv|-]\n"
                     "Ranks the campaign's inputs by the mutants they kill, read from its kill matrix\n"
                     "(kill_matrix-D.txt, or kill_matrix-D-C.txt for another criterion with per-input verdicts):\n"
                     "  total       most mutants killed first\n"
                     "  additional  greedy: next the input that kills the most mutants no earlier input kills;\n"
                     "              once none adds any, the rest in total order\n"
                     "Ties go to the lower input index. Writes one CSV row per rank (rank, then per ranking the input,\n"
                     "its kills and the mutants killed so far) and DIR/prioritization.html with both curves.\n"
                     "  --device D     the device whose matrix is read (default cpu)\n"
                     "  --criterion C  a criterion of the campaign, as named in --kill (default prediction)\n"
                     "  --out FILE     the CSV (default DIR/prioritization.csv; - writes it to stdout)\n";
        return 0;
    }
    if (a.positionals().size() != 1) throw UsageError("prioritize needs exactly one CAMPAIGN_DIR");
    const std::string dir = a.positionals()[0];
    const std::string device = a.get("device", "cpu"), criterion = a.get("criterion", "prediction");
    const std::string dev = mutiny::campaign_detail::device_file_name(device);
    const std::string file = dir + "/kill_matrix-" + dev + (criterion == "prediction" ? "" : "-" + mutiny::campaign_detail::device_file_name(criterion)) + ".txt";
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw mutiny::Error("no kill matrix", file,
                            "the campaign in " + dir + " has none for device " + device + " and criterion " + criterion +
                                " (statistical has no per-input verdicts; report.json lists kill_matrix_files)");
    std::ostringstream text;
    text << in.rdbuf();
    const mutiny::KillMatrix m = mutiny::parse_kill_matrix(text.str(), file);
    const mutiny::Prioritization total = mutiny::prioritize_total(m), additional = mutiny::prioritize_additional(m);
    const std::string csv = mutiny::prioritization_csv(total, additional);
    const std::string out = a.get("out", dir + "/prioritization.csv");
    if (out == "-") {
        std::cout << csv;
    } else {
        ReplacingFile f(out);
        f.stream() << csv;
        f.commit();
    }
    mutiny::write_durable(dir + "/prioritization.html",
                          "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Mutiny prioritisation</title></head><body style='font-family:sans-serif'>\n" +
                              mutiny::prioritization_html(m) + "</body></html>\n");
    // With --out - stdout holds the CSV alone; the summary goes to stderr.
    std::ostream& os = out == "-" ? std::cerr : std::cout;
    const int64_t killed = total.cumulative.empty() ? 0 : total.cumulative.back();
    os << "prioritize: " << m.inputs << " inputs, " << m.rows.size() << " mutants (" << killed << " killed) from " << file << "\n";
    if (out != "-") os << "wrote " << out << " and " << dir << "/prioritization.html\n";
    return 0;
}

}  // namespace cli

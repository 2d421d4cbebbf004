// mutiny mutants MODEL --ops LIST [--position P] [--seed S] [--out FILE]: enumerates mutants and
// prints counts per operator, including invalid, not applicable and equivalent ones. The last line
// is the stable `total: N (invalid I, not applicable A, equivalent E)`.
// --out writes a mutant list (mutate/mutant_list.hpp, docs/formats.md): the model file's identity,
// then one spec per line, buildable mutants (ok, equivalent) as plain spec lines, the rest as
// `# <status>: <spec> -- <reason>` comments; `campaign --mutants FILE` runs it.
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <mutiny/core/error.hpp>
#include <mutiny/mutate/all.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "model_file.hpp"
#include "replacing_file.hpp"

namespace cli {

int cmd_mutants(int argc, char** argv) {
    Args a(argc, argv, 2, {"ops", "position", "seed", "out"}, {"help"});
    if (a.has("help")) {
        const auto& reg = mutiny::MutationRegistry::instance();
        std::cout << "usage: mutiny mutants MODEL --ops LIST [--position P] [--seed S] [--out FILE|-]\n"
                     "Lists the mutants of MODEL for the operators, presets or groups in LIST (comma-separated)\n"
                     "and prints counts per operator, with invalid, not applicable and equivalent ones.\n"
                     "LIST items are NAME or NAME(KEY=VALUE,...), e.g. --ops 'GF(ratio=0.5,sigma=0.1),CW(p=0.2),vanilla':\n"
                     "  an operator's or preset's parameters (below) are checked against their type and range; groups\n"
                     "  take none. Mutants with non-default parameters are named so: CW(p=0.2).\n"
                     "  --position P  all (default), first, last, random, or N (the N-th candidate, from 1)\n"
                     "  --seed S      seed of stochastic operators and of --position random (default 0)\n"
                     "  --out FILE    a mutant list for campaign --mutants: the model's identity, then one mutant spec\n"
                     "                per line (not buildable ones as '# status: spec -- reason'); may be edited\n"
                     "operators:\n";
        for (const auto& n : reg.operator_names()) {
            const auto* op = reg.find_operator(n);
            std::cout << "  " << std::left << std::setw(20) << n << op->family << ", " << op->category << ": " << op->summary << "\n";
            for (const auto& p : op->params) {
                const char* kind = p.kind == mutiny::ParamKind::integer ? "integer in " : p.kind == mutiny::ParamKind::real ? "number in " : "";
                std::cout << "  " << std::setw(22) << "" << p.name << "=" << p.def << " (" << kind << p.range_text() << "): " << p.help << "\n";
            }
        }
        std::cout << "presets (MutateNN):\n";
        for (const auto& n : reg.preset_names()) std::cout << "  " << std::left << std::setw(34) << n << reg.find_preset(n)->summary << "\n";
        std::cout << "groups:\n";
        for (const auto& n : reg.group_names()) {
            std::cout << "  " << std::left << std::setw(14) << n;
            const auto* g = reg.find_group(n);
            for (size_t i = 0; i < g->size(); ++i) std::cout << (i ? "," : "") << (*g)[i];
            std::cout << "\n";
        }
        return 0;
    }
    if (a.positionals().size() != 1) throw UsageError("mutants needs exactly one MODEL");
    if (!a.has("ops")) throw UsageError("mutants needs --ops LIST (e.g. --ops vanilla or --ops mutatenn)");
    mutiny::EnumerateOptions opt;
    opt.ops = {a.get("ops")};
    // The list is checked (syntax, names, parameters) before the model is loaded.
    if (mutiny::resolve_operator_lists(opt.ops).empty()) throw UsageError("--ops is empty");
    opt.position = a.get("position", "all");
    opt.seed = seed_option(a);
    const std::string path = a.positionals()[0];
    const mutiny::Graph g = load_model_file(path);
    const std::vector<mutiny::Mutant> ms = mutiny::enumerate_mutants(g, opt);

    struct Counts {
        size_t ok = 0, invalid = 0, na = 0, equivalent = 0;
        size_t total() const { return ok + invalid + na + equivalent; }
    };
    std::vector<std::string> order;
    std::map<std::string, Counts> per_op;
    Counts all;
    for (const auto& m : ms) {
        const std::string label = mutiny::operator_label(m.spec);  // CW and CW(p=0.2) are counted apart
        if (!per_op.count(label)) order.push_back(label);
        Counts& c = per_op[label];
        for (Counts* x : {&c, &all}) {
            switch (m.status) {
                case mutiny::MutantStatus::ok: ++x->ok; break;
                case mutiny::MutantStatus::invalid: ++x->invalid; break;
                case mutiny::MutantStatus::not_applicable: ++x->na; break;
                case mutiny::MutantStatus::equivalent: ++x->equivalent; break;
            }
        }
    }
    if (a.has("out")) {
        // The list carries the model file's identity: campaign --mutants runs it on that file only.
        ReplacingFile f(a.get("out"));
        f.stream() << mutiny::format_mutant_list(ms, path, model_file_hash(path),
                                                 "mutiny mutants " + path + " --ops " + a.get("ops") + " --position " + opt.position +
                                                     " --seed " + std::to_string(opt.seed));
        f.commit();
    }
    // With --out -, the list is standard output; the table goes to stderr.
    std::ostream& info = a.get("out", "") == "-" ? std::cerr : std::cout;
    info << "model: " << path << "\n";
    info << std::left << std::setw(34) << "operator" << std::right << std::setw(9) << "mutants" << std::setw(9) << "ok" << std::setw(9)
              << "invalid" << std::setw(9) << "n/a" << std::setw(11) << "equivalent" << "\n";
    for (const auto& op : order) {
        const Counts& c = per_op[op];
        info << std::left << std::setw(34) << op << std::right << std::setw(9) << c.total() << std::setw(9) << c.ok << std::setw(9)
                  << c.invalid << std::setw(9) << c.na << std::setw(11) << c.equivalent << "\n";
    }
    if (a.has("out")) info << "wrote " << ms.size() << " specs to " << (a.get("out") == "-" ? "standard output" : a.get("out")) << "\n";
    info << "total: " << all.total() << " (invalid " << all.invalid << ", not applicable " << all.na << ", equivalent " << all.equivalent
              << ")\n";
    return 0;
}

}  // namespace cli

#include "commands.hpp"

#include <cstring>
#include <ostream>
#include <string>

namespace cli {

const Command commands[] = {
    {"inspect", "inspect MODEL [--device D]", "format, inputs, outputs, op counts, parameters, FLOPs; where ops run on D", cmd_inspect},
    {"eval", "eval MODEL --data SPEC", "top-1/top-5 accuracy, throughput, confusion matrix", cmd_eval},
    {"run", "run MODEL --out FILE", "one CSV row of outputs per input", cmd_run},
    {"campaign", "campaign MODEL --data SPEC --ops LIST --out DIR", "mutation campaign with report", cmd_campaign},
    {"merge", "merge DIR... --out DIR", "the report of a campaign run as shards (--shard K/N)", cmd_merge},
    {"cluster", "cluster VECTORS.csv", "hierarchical clustering (SciPy linkage matrix, flat cuts)", cmd_cluster},
    {"conformance", "conformance DIR... [--device D]", "run ONNX backend test folders (on the CPU or an OpenCL device)", cmd_conformance},
    {"devices", "devices", "the CPU's instruction-set level; OpenCL platforms and devices", cmd_devices},
    {"tune", "tune [--device opencl:N]", "tune the OpenCL GEMM's tile parameters for a device (cached)", cmd_tune},
    {"diff", "diff MODEL --data SPEC --against A,B", "where a device, fp16 storage, int8 or a mutant departs from a reference (--reduce DIR: a reproducer)", cmd_diff},
    {"mutants", "mutants MODEL --ops LIST", "list mutants with counts per operator", cmd_mutants},
    {"convert", "convert MODEL --out FILE", "write an ONNX model (FILE.onnx) or a native model file, optionally with a self-test", cmd_convert},
    {"replay", "replay DIR/manifest.json", "rerun a campaign and check its results are the same", cmd_replay},
    {"prioritize", "prioritize CAMPAIGN_DIR", "rank the inputs by the mutants they kill (total, additional)", cmd_prioritize},
    {"protocol", "protocol MODEL --data SPEC --out DIR", "DeepMAACC's clustering protocol: speed-up vs error", cmd_protocol},
    {nullptr, nullptr, nullptr, nullptr},
};

const Command* find_command(const char* name) {
    for (const Command* c = commands; c->name; ++c)
        if (std::strcmp(c->name, name) == 0) return c;
    return nullptr;
}

namespace {

// Synopses up to 24 characters line their summaries up in one column; longer ones are followed by
// three spaces, so one long synopsis does not push every summary to the right.
void print_row(std::ostream& os, const std::string& left, const char* summary) {
    os << "  " << left << (left.size() < 25 ? std::string(25 - left.size(), ' ') : std::string(3, ' ')) << summary << "\n";
}

}  // namespace

void print_usage(std::ostream& os) {
    os << "usage: mutiny <command> [options]\n"
          "commands:\n";
    for (const Command* c = commands; c->name; ++c) print_row(os, c->synopsis, c->summary);
    print_row(os, "help COMMAND", "the command's help, as COMMAND --help");
    print_row(os, "--version", "print the version");
    os << "Every command takes --help, --max-loop-iterations N (default 1000000): a model's Loop\n"
          "that runs longer stops with an error instead of hanging, and --max-memory SIZE (bytes, or\n"
          "with K, M, G, T; default half the physical memory): a tensor a model makes or declares that\n"
          "is larger stops with an error instead of exhausting the memory; campaigns also fit their\n"
          "batch to it (default there: 1G, at most a quarter of the physical memory).\n";
}

void print_command_names(std::ostream& os) {
    for (const Command* c = commands; c->name; ++c) os << (c == commands ? "" : ", ") << c->name;
}

}  // namespace cli

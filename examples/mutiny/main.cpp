// The mutiny command-line tool: a thin shell over the library. Each subcommand lives in its own
// header (cmd_*.hpp); they are compiled as one translation unit to keep builds fast.
// Exit codes: 0 success, 1 a failed run (one-line error: what, where, why), 2 a bad call.
#include <cstring>
#include <iostream>
#include <string>

#include <mutiny/mutiny.hpp>

#include "args.hpp"
#include "cmd_campaign.hpp"
#include "cmd_cluster.hpp"
#include "cmd_conformance.hpp"
#include "cmd_devices.hpp"
#include "cmd_eval.hpp"
#include "cmd_inspect.hpp"
#include "cmd_mutants.hpp"
#include "cmd_protocol.hpp"

namespace {

void usage(std::ostream& os) {
    os << "usage: mutiny <command> [options]\n"
          "commands:\n"
          "  inspect MODEL            inputs, outputs, op counts, parameters, FLOPs\n"
          "  eval MODEL --data SPEC   top-1/top-5 accuracy, throughput, confusion matrix\n"
          "  run MODEL --out FILE     one CSV row of outputs per input\n"
          "  campaign MODEL --data SPEC --ops LIST --out DIR   mutation campaign with report\n"
          "  cluster VECTORS.csv      hierarchical clustering (SciPy linkage matrix, flat cuts)\n"
          "  conformance DIR...       run ONNX backend test folders\n"
          "  devices                  list OpenCL platforms and devices\n"
          "  mutants MODEL --ops LIST list mutants with counts per operator\n"
          "  protocol MODEL --data SPEC --out DIR   DeepMAACC's clustering protocol: speed-up vs error\n"
          "  --version                print the version\n"
          "Every command takes --help.\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "mutiny: missing command (try mutiny --help)\n";
        return 2;
    }
    const std::string cmd = argv[1];
    try {
        if (cmd == "--version" || cmd == "-V") {
            std::cout << "mutiny " << mutiny::version_string() << '\n';
            return 0;
        }
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            usage(std::cout);
            return 0;
        }
        if (cmd == "campaign") return cli::cmd_campaign(argc, argv);
        if (cmd == "cluster") return cli::cmd_cluster(argc, argv);
        if (cmd == "conformance") return cli::cmd_conformance(argc, argv);
        if (cmd == "devices") return cli::cmd_devices(argc, argv);
        if (cmd == "inspect") return cli::cmd_inspect(argc, argv);
        if (cmd == "eval") return cli::cmd_eval(argc, argv);
        if (cmd == "run") return cli::cmd_run(argc, argv);
        if (cmd == "mutants") return cli::cmd_mutants(argc, argv);
        if (cmd == "protocol") return cli::cmd_protocol(argc, argv);
        std::cerr << "mutiny: unknown command '" << cmd << "' (try mutiny --help)\n";
        return 2;
    } catch (const cli::UsageError& e) {
        std::cerr << "mutiny " << cmd << ": " << e.what() << "\n";
        return 2;
    } catch (const mutiny::Error& e) {
        std::cerr << "mutiny " << cmd << ": error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "mutiny " << cmd << ": error: " << e.what() << "\n";
        return 1;
    }
}

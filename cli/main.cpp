// The mutiny command-line tool: a thin shell over the library. Each command lives in its own
// cmd_<name>.cpp and is found through the table in commands.cpp.
// Exit codes: 0 success, 1 a failed run (one-line error: what, where, why), 2 a bad call.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <new>
#include <stdexcept>
#include <string>

#include <mutiny/core/checked.hpp>
#include <mutiny/core/error.hpp>
#include <mutiny/core/memory.hpp>
#include <mutiny/ops/control/limits.hpp>
#include <mutiny/ops/isa/dispatch.hpp>
#include <mutiny/version.hpp>

#include "args.hpp"
#include "commands.hpp"

namespace {

int unknown_command(const std::string& name) {
    std::cerr << "mutiny: unknown command '" << name << "' (commands: ";
    cli::print_command_names(std::cerr);
    std::cerr << "; try mutiny --help)\n";
    return 2;
}

// Options every command takes, removed from argv before the command parses the rest:
// --max-loop-iterations N (a Loop that runs longer stops with an error) and --max-memory SIZE
// (the memory a run may use: the largest tensor a model may make or declare,
// mutiny::max_tensor_bytes(), and what a campaign's batch may take, cli::global_max_memory()).
int take_global_options(int argc, char** argv) {
    int out = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string s = argv[i];
        std::string key, value;
        for (const char* k : {"--max-loop-iterations", "--max-memory"}) {
            if (s == k) {
                key = k;
                if (i + 1 >= argc) throw cli::UsageError(key + " needs a value");
                value = argv[++i];
            } else if (s.rfind(std::string(k) + "=", 0) == 0) {
                key = k;
                value = s.substr(key.size() + 1);
            }
        }
        if (key.empty()) {
            argv[out++] = argv[i];
            continue;
        }
        if (key == "--max-memory") {
            int64_t bytes = 0;
            try {
                bytes = mutiny::parse_memory_size(value, key);
            } catch (const mutiny::Error& e) {
                throw cli::UsageError(e.what());  // a malformed argument is a bad call (exit 2)
            }
            mutiny::max_tensor_bytes() = static_cast<size_t>(bytes);
            cli::global_max_memory() = bytes;
        }
        else mutiny::control::max_loop_iterations() = cli::parse_int(value, key, 1, INT64_MAX);
    }
    argv[out] = nullptr;
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "mutiny: missing command (try mutiny --help)\n";
        return 2;
    }
    std::string cmd = argv[1];
    try {
        argc = take_global_options(argc, argv);
        if (argc < 2) throw cli::UsageError("missing command");
        cmd = argv[1];
        if (cmd == "--version" || cmd == "-V") {
            std::cout << "mutiny " << mutiny::version_string() << '\n';
            return 0;
        }
        if (cmd == "--help" || cmd == "-h" || (cmd == "help" && argc == 2)) {
            cli::print_usage(std::cout);
            return 0;
        }
        if (cmd == "help") {
            // `mutiny help CMD` is `mutiny CMD --help`, so each command's help text exists once.
            if (argc > 3) throw cli::UsageError("help takes one COMMAND");
            const cli::Command* c = cli::find_command(argv[2]);
            if (!c) return unknown_command(argv[2]);
            cmd = c->name;
            char help[] = "--help";
            char* args[] = {argv[0], argv[2], help, nullptr};
            return c->run(3, args);
        }
        const cli::Command* c = cli::find_command(cmd.c_str());
        if (!c) return unknown_command(cmd);
        // A MUTINY_ISA the CPU cannot run (or no level's name) stops here with its error, before
        // any work: the first kernel call would otherwise raise it in the middle of a run.
        mutiny::isa::active();
        return c->run(argc, argv);
    } catch (const cli::UsageError& e) {
        std::cerr << "mutiny " << cmd << ": " << e.what() << "\n";
        return 2;
    } catch (const mutiny::Error& e) {
        // what() is already "what at where: why".
        std::cerr << "mutiny " << cmd << ": error: " << e.what() << "\n";
        return 1;
    } catch (const std::bad_alloc&) {
        // The last line of defence: a standard-library exception's own text ("std::bad_alloc",
        // "vector::_M_default_append") tells a user nothing, so each kind gets a sentence instead.
        std::cerr << "mutiny " << cmd << ": error: out of memory: an allocation failed (an input may declare sizes larger than it holds)\n";
        return 1;
    } catch (const std::length_error&) {
        std::cerr << "mutiny " << cmd << ": error: a size is too large to allocate (an input may declare sizes larger than it holds)\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "mutiny " << cmd << ": error: internal error (" << e.what() << "); please report it with the command that caused it\n";
        return 1;
    }
}

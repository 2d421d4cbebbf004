// The table of mutiny's commands: dispatch, `mutiny --help`, `mutiny help COMMAND` and the
// unknown-command error all read it, so a command is added in one place (commands.cpp) plus its
// own cmd_<name>.cpp.
#pragma once

#include <iosfwd>

namespace cli {

struct Command {
    const char* name;
    const char* synopsis;  // the usage line's left column, e.g. "eval MODEL --data SPEC"
    const char* summary;   // what it does, in a few words
    // argv[1] is the command's name, options start at argv[2]. Returns the exit code; a bad call
    // throws UsageError (exit 2), a failed run any other exception (exit 1).
    int (*run)(int argc, char** argv);
};

// Every command, in the order `mutiny --help` lists them; ends at the first entry without a name.
extern const Command commands[];

const Command* find_command(const char* name);  // nullptr if there is none
void print_usage(std::ostream& os);              // the text of `mutiny --help`
void print_command_names(std::ostream& os);      // "campaign, cluster, ..." for error messages

int cmd_campaign(int argc, char** argv);
int cmd_cluster(int argc, char** argv);
int cmd_conformance(int argc, char** argv);
int cmd_convert(int argc, char** argv);
int cmd_devices(int argc, char** argv);
int cmd_diff(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_inspect(int argc, char** argv);
int cmd_merge(int argc, char** argv);
int cmd_mutants(int argc, char** argv);
int cmd_prioritize(int argc, char** argv);
int cmd_protocol(int argc, char** argv);
int cmd_replay(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_tune(int argc, char** argv);

}  // namespace cli

// The sides of `mutiny diff` (cli/cmd_diff.cpp) and of its reducer (cli/diff_reduce.cpp): an
// --against item parsed (a device, a mode such as float16 storage, or a mutant spec) and a side ready to run on a
// graph (DiffRunner: the mutant applied to that graph, an executor on the side's device).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <mutiny/core/tensor.hpp>
#include <mutiny/exec/cpu/executor.hpp>
#include <mutiny/exec/opencl/opencl.hpp>
#include <mutiny/graph/graph.hpp>
#include <mutiny/mutate/spec.hpp>

namespace cli {

// One --against item: a device (cpu, opencl[:N|:NAME]) with an optional mode (@fp16: float16
// storage, @float: a QDQ model's float reference, @int8: a float model's simulated int8
// deployment), or a mutant spec (the line `mutiny mutants --out` writes) run on `device` (a
// `device=` field, default cpu).
struct DiffSideSpec {
    enum class Mode { none, fp16, float_ref, int8 };
    std::string label;
    std::string device = "cpu";
    Mode mode = Mode::none;
    bool mutant = false;
    mutiny::MutantSpec spec;
};

// The --against list: at least two sides, the reference first; throws UsageError naming a bad item.
std::vector<DiffSideSpec> parse_diff_sides(const std::string& text);

// --atol / --rtol: "X", "NAME=X" or both, comma-separated: the default and per-tensor values.
void parse_diff_tolerance(const std::string& text, const std::string& option, double& fallback, std::map<std::string, double>& named);

// A side ready to run: its graph (the model, its float reference or int8 simulation, or the
// mutant's) and executor; `mode_what` says what the mode made of the model. With `timing`, run()
// can time each node (an OpenCL side's queue then records the commands' device times).
class DiffRunner {
public:
    DiffRunner(const mutiny::Graph& g, const DiffSideSpec& s, int threads, const std::string& mode_what = "", bool timing = false);
    std::vector<mutiny::Tensor> trace(const std::vector<mutiny::Tensor>& in);
    // One run without node capture, each node's time in `times` (exec/node_times.hpp).
    std::vector<mutiny::Tensor> run(const std::vector<mutiny::Tensor>& in, mutiny::NodeTimes& times);
    const mutiny::Graph& graph() const { return graph_; }
    const std::string& what() const { return what_; }

private:
    mutiny::Graph graph_;
    std::unique_ptr<mutiny::CpuExecutor> cpu_;
#if MUTINY_WITH_OPENCL
    std::unique_ptr<mutiny::OpenClExecutor> ocl_;
#endif
    std::string what_;
};

}  // namespace cli

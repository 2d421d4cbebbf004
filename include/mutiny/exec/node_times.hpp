// Per-node times of one run, as both executors record them when asked (CpuExecutor::run and
// OpenClExecutor::run with a NodeTimes; the OpenCL executor also needs OpenClOptions::timing, which
// makes its queue with profiling). Not asked, an executor reads no clock and makes no event.
//
// CPU: the wall time of each node's kernel (steady_clock). A fusion group (docs/architecture.md,
// "Fusion") is one kernel: its time is the head's, and the nodes fused into it are `fused`.
// OpenCL: the device time of every command a node's step enqueues (CL_PROFILING_COMMAND_START to
// _END, summed), or, for a node that runs its CPU kernel on the host, the host wall time of its
// step (reading its inputs back and writing its outputs included), measured after the queue has
// drained so that it never counts the device's work before it.
#ifndef MUTINY_EXEC_NODE_TIMES_HPP_
#define MUTINY_EXEC_NODE_TIMES_HPP_

#include <vector>

namespace mutiny {

struct NodeTimes {
    enum class Where {
        cpu,             // a CPU kernel (CpuExecutor)
        fused,           // fused into the Conv before it (CpuExecutor run()): its time is the Conv's
        device,          // OpenCL commands on the device
        host_fallback,   // no OpenCL kernel for it: its CPU kernel on the host
        host_data_dependent,  // shapes known per run only: on the host per run
        none             // nothing at run time (shape arithmetic written when the plan was made)
    };
    std::vector<double> seconds;  // per node of the executor's graph().nodes
    std::vector<Where> where;     // the same
    double total = 0;             // wall time of the whole run (inputs written to outputs read)

    void reset(size_t nodes) {
        seconds.assign(nodes, 0.0);
        where.assign(nodes, Where::none);
        total = 0;
    }
};

inline const char* node_where_name(NodeTimes::Where w) {
    switch (w) {
        case NodeTimes::Where::cpu: return "cpu";
        case NodeTimes::Where::fused: return "fused";
        case NodeTimes::Where::device: return "device";
        case NodeTimes::Where::host_fallback: return "host fallback";
        case NodeTimes::Where::host_data_dependent: return "host (data-dependent)";
        case NodeTimes::Where::none: break;
    }
    return "none";
}

}  // namespace mutiny

#endif  // MUTINY_EXEC_NODE_TIMES_HPP_

// `mutiny diff --timing` (cli/cmd_diff.cpp): after the comparison, every side runs the first input
// again, without node capture, with per-node times (analysis/node_timing.hpp), and the table is
// printed: per node each side's median and each side's ratio to the reference.
#pragma once

#include <memory>
#include <vector>

#include <mutiny/analysis/node_timing.hpp>
#include <mutiny/core/tensor.hpp>

#include "diff_sides.hpp"

namespace cli {

// `runs` timed runs of every side on `x`, the sides taking turns within each run so that a slow
// spell of the machine falls on all of them alike.
mutiny::NodeTiming time_diff_sides(std::vector<std::unique_ptr<DiffRunner>>& runners, const std::vector<DiffSideSpec>& specs,
                                   const std::vector<mutiny::Tensor>& x, int64_t runs);

// The table on standard output, in graph order: every node when there are at most `max_rows`, else
// the `max_rows` slowest (by their slowest side), saying how many are hidden.
void print_node_timing(const mutiny::NodeTiming& t, size_t max_rows);

}  // namespace cli

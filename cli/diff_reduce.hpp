// `mutiny diff ... --reduce DIR`: shrinks a difference beyond tolerance to a reproducer bundle, an
// ONNX backend test folder (cli/diff_reduce.cpp; docs/cli.md, "diff").
#pragma once

#include <string>
#include <vector>

#include <mutiny/analysis/trace_diff.hpp>
#include <mutiny/io/dataset_base.hpp>
#include <mutiny/report/diff_report.hpp>

#include "diff_sides.hpp"
#include "model_file.hpp"

namespace cli {

struct ReduceRequest {
    std::string dir;
    bool force = false;
    int threads = 0;
};

// Refuses DIR before any work: an existing file, or a folder that is not empty (unless force).
void check_reduce_dir(const ReduceRequest& r);

// Shrinks the first side of `rep` whose outputs differ beyond tolerance and writes the bundle;
// prints what it did. Nothing differs: says so and writes nothing. A difference that a re-run does
// not reproduce is an Error ("not reproducible") and writes nothing.
void reduce_diff(const Feeding& f, const mutiny::Dataset& ds, const std::vector<DiffSideSpec>& specs, const mutiny::DiffReport& rep,
                 const mutiny::ToleranceSet& tol, const ReduceRequest& r);

}  // namespace cli

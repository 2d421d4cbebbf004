// Mutiny: mutation testing and mutation analysis of deep neural networks, header-only C++17.
// Including this header gives the whole public API. It only includes; nothing is defined here.
// scripts/amalgamate.sh inlines this file and everything it reaches into
// single_include/mutiny/mutiny.hpp, so list project headers with quoted paths relative to this file.
#ifndef MUTINY_MUTINY_HPP_
#define MUTINY_MUTINY_HPP_

#include "version.hpp"

// ---------------------------------------------------------------------------------------------
// Layers, lowest first (see docs/architecture.md, "Layers and data flow"). Lower layers never
// include higher ones. Add each layer's public headers below its heading as it lands.
//
//   core      errors, tensors, shapes, utilities
//   io        ONNX, native model file, images, data sets
//   graph     the IR: nodes, values, weights, static shapes, validation
//   cluster   hierarchical agglomerative clustering (serves mutate and analysis)
//   mutate    mutation operators and mutant specs
//   exec      backends: cpu (oneTBB), opencl (only when MUTINY_WITH_OPENCL)
//   analysis  kill criteria, scores, kill matrix, device discrepancy
//   cluster/{neuron,mutant}_clustering, accelerate: DeepMAACC's accelerations, which run campaigns,
//             so they sit above analysis although the HAC itself (cluster/all.hpp) sits below
//   report    JSON, CSV, HTML with SVG charts
// ---------------------------------------------------------------------------------------------

// core
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/half.hpp"
#include "core/parallel.hpp"
#include "core/shape.hpp"
#include "core/tensor.hpp"

// graph
#include "graph/attributes.hpp"
#include "graph/builder.hpp"
#include "graph/graph.hpp"

// ops: the op registry and shape inference (the op definitions themselves are the compiled part)
#include "ops/control/limits.hpp"
#include "ops/infer.hpp"
#include "ops/op.hpp"

// io
#include "io/csv_vectors.hpp"
#include "io/dataset.hpp"
#include "io/image.hpp"
#include "io/model_format.hpp"
#include "io/native.hpp"
#include "io/onnx_export.hpp"
#include "io/onnx_import.hpp"
#include "io/onnx_proto.hpp"
#include "io/preprocess.hpp"
#include "io/protobuf.hpp"
#include "io/protobuf_writer.hpp"

// cluster
#include "cluster/all.hpp"

// mutate
#include "mutate/all.hpp"

// exec
#include "exec/conformance.hpp"
#include "exec/cpu/executor.hpp"
#include "exec/node_times.hpp"
#include "exec/opencl/opencl.hpp"  // empty unless MUTINY_WITH_OPENCL

// loading any model file
#include "model.hpp"

// analysis
#include "analysis/campaign.hpp"
#include "analysis/checkpoint.hpp"
#include "analysis/discrepancy.hpp"
#include "analysis/int8_simulation.hpp"
#include "analysis/kill.hpp"
#include "analysis/merge.hpp"
#include "analysis/node_timing.hpp"
#include "analysis/profile.hpp"
#include "analysis/sample.hpp"
#include "analysis/sample_coverage.hpp"
#include "analysis/prioritize.hpp"
#include "analysis/qdq_float.hpp"
#include "analysis/scores.hpp"
#include "analysis/shard.hpp"
#include "analysis/shard_cost.hpp"
#include "analysis/stats.hpp"
#include "analysis/tensor_diff.hpp"
#include "analysis/reduce_case.hpp"
#include "analysis/trace_diff.hpp"
#include "cluster/accelerate.hpp"  // DeepMAACC's neuron and mutant clustering, on top of analysis
#include "cluster/mutant_clustering.hpp"
#include "cluster/neuron_clustering.hpp"

// report
#include "report/campaign_report.hpp"
#include "report/cluster_report.hpp"
#include "report/csv.hpp"
#include "report/diff_report.hpp"
#include "report/html.hpp"
#include "report/html_util.hpp"
#include "report/json.hpp"
#include "report/node_timing_report.hpp"
#include "report/prioritization.hpp"
#include "report/profile_report.hpp"
#include "report/timing_report.hpp"

// The compiled part (op kernels, registries' entry points), in the one source file that defines
// MUTINY_IMPLEMENTATION; the others link against it (or against mutiny::compiled instead).
#ifdef MUTINY_IMPLEMENTATION
#include "implementation.hpp"
#endif

#endif  // MUTINY_MUTINY_HPP_

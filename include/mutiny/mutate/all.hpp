// The mutate layer: operators (graph, kernel, neuron level), MutateNN's presets, mutant specs,
// enumeration and application, mutant list files. See spec.hpp for the spec format and mutant.hpp for the API.
#ifndef MUTINY_MUTATE_ALL_HPP_
#define MUTINY_MUTATE_ALL_HPP_

#include "spec.hpp"
#include "registry.hpp"
#include "graph_ops.hpp"
#include "kernel_ops.hpp"
#include "neuron_ops.hpp"
#include "quant_ops.hpp"
#include "presets.hpp"
#include "mutant.hpp"
#include "mutant_list.hpp"

#endif  // MUTINY_MUTATE_ALL_HPP_

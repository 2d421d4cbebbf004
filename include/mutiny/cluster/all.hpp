// The clustering layer: pairwise distances, SciPy-compatible hierarchical agglomerative clustering
// (linkage matrices) and flat cuts (fcluster). See docs/mutation.md, "Acceleration".
#ifndef MUTINY_CLUSTER_ALL_HPP_
#define MUTINY_CLUSTER_ALL_HPP_

#include "distance.hpp"
#include "fcluster.hpp"
#include "linkage.hpp"

#endif  // MUTINY_CLUSTER_ALL_HPP_

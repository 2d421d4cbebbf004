// Everything Mutiny defines once per program: the op kernels (one part per op family, and every
// instruction-set level of the vector kernels) and the registries' entry points. Header-only use: define MUTINY_IMPLEMENTATION in exactly one source
// file before including <mutiny/mutiny.hpp>, which then includes this file. Compiled use: link
// mutiny::compiled (CMake), which builds each part as its own translation unit (src/).
// Neither, or both: the linker names link_check::define_MUTINY_IMPLEMENTATION_in_one_source_file_
// or_link_mutiny_compiled as undefined or defined twice.
#ifndef MUTINY_IMPLEMENTATION_HPP_
#define MUTINY_IMPLEMENTATION_HPP_

#include "impl/builtin.hpp"
#include "impl/isa_kernels.hpp"
#include "impl/ops_control.hpp"
#include "impl/ops_conv.hpp"
#include "impl/ops_elementwise.hpp"
#include "impl/ops_gemm.hpp"
#include "impl/ops_index.hpp"
#include "impl/ops_logic.hpp"
#include "impl/ops_loss.hpp"
#include "impl/ops_normalization.hpp"
#include "impl/ops_pool.hpp"
#include "impl/ops_quant.hpp"
#include "impl/ops_reduce.hpp"
#include "impl/ops_resample.hpp"
#include "impl/ops_rnn.hpp"
#include "impl/ops_shape.hpp"
#include "impl/ops_tensor.hpp"

#endif  // MUTINY_IMPLEMENTATION_HPP_

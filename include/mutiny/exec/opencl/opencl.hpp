// The OpenCL backend (docs/architecture.md, "Execution"): device discovery and selection, the
// program cache, OpenClExecutor, and the GEMM tuner. Everything is compiled only when MUTINY_WITH_OPENCL is set
// (CMake option MUTINY_WITH_OPENCL), so the library builds without OpenCL headers; including this
// header is then harmless.
#ifndef MUTINY_EXEC_OPENCL_OPENCL_HPP_
#define MUTINY_EXEC_OPENCL_OPENCL_HPP_

#if MUTINY_WITH_OPENCL
#include "device.hpp"
#include "executor.hpp"
#include "tuner.hpp"
#endif

#endif  // MUTINY_EXEC_OPENCL_OPENCL_HPP_

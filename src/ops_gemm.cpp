// mutiny::compiled: the gemm op family.
#include <mutiny/impl/ops_gemm.hpp>

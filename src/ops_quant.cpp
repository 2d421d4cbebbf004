// mutiny::compiled: the quantization op family.
#include <mutiny/impl/ops_quant.hpp>

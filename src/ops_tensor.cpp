// mutiny::compiled: the tensor op family.
#include <mutiny/impl/ops_tensor.hpp>

// mutiny::compiled: the normalization op family.
#include <mutiny/impl/ops_normalization.hpp>

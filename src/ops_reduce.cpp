// mutiny::compiled: the reduce op family.
#include <mutiny/impl/ops_reduce.hpp>

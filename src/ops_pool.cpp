// mutiny::compiled: the pool op family.
#include <mutiny/impl/ops_pool.hpp>

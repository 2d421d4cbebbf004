// mutiny::compiled: the index op family.
#include <mutiny/impl/ops_index.hpp>

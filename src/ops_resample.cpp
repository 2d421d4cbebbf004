// mutiny::compiled: the resample op family.
#include <mutiny/impl/ops_resample.hpp>

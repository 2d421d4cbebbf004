// mutiny::compiled: the shape op family.
#include <mutiny/impl/ops_shape.hpp>

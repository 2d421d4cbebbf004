// mutiny::compiled: the conv op family.
#include <mutiny/impl/ops_conv.hpp>

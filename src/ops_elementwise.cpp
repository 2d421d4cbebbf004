// mutiny::compiled: the elementwise op family.
#include <mutiny/impl/ops_elementwise.hpp>

// mutiny::compiled: the control-flow op family.
#include <mutiny/impl/ops_control.hpp>

// mutiny::compiled: the logic op family.
#include <mutiny/impl/ops_logic.hpp>

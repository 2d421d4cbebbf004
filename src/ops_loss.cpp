// mutiny::compiled: the loss op family.
#include <mutiny/impl/ops_loss.hpp>

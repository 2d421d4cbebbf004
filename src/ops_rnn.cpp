// mutiny::compiled: the rnn op family.
#include <mutiny/impl/ops_rnn.hpp>

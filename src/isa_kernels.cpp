// mutiny::compiled: the CPU kernels of every instruction-set level and the choice between them.
#include <mutiny/impl/isa_kernels.hpp>

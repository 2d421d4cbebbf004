// mutiny::compiled: the registries' entry points.
#include <mutiny/impl/builtin.hpp>

// The rnn op family (RNN, GRU, LSTM), defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_RNN_HPP_
#define MUTINY_IMPL_OPS_RNN_HPP_

#include "../ops/rnn/gru.hpp"
#include "../ops/rnn/lstm.hpp"
#include "../ops/rnn/rnn.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_rnn_ops(Registry& r) {
    rnn::register_rnn(r);
    rnn::register_gru(r);
    rnn::register_lstm(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_RNN_HPP_

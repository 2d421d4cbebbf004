// ReverseSequence (opset 10): for each batch entry b, the first sequence_lens[b] elements along
// time_axis are reversed and the rest copied. time_axis and batch_axis are 0 and 1, either way
// round (defaults time 0, batch 1); sequence_lens (int64, one per batch entry) is read at run
// time and each must lie in [0, the time length]. Any dtype: elements move by their byte size.
#ifndef MUTINY_OPS_TENSOR_REVERSE_SEQUENCE_HPP_
#define MUTINY_OPS_TENSOR_REVERSE_SEQUENCE_HPP_

#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/copy.hpp"

namespace mutiny {
namespace tensor_ops {

inline void reverse_sequence_axes(const Attributes& a, const std::string& where, int64_t& time, int64_t& batch) {
    time = a.get_int("time_axis", 0);
    batch = a.get_int("batch_axis", 1);
    if (!((time == 0 && batch == 1) || (time == 1 && batch == 0)))
        throw Error("ReverseSequence axes must be 0 and 1", where,
                    "time_axis " + std::to_string(time) + ", batch_axis " + std::to_string(batch) + "; one is 0, the other 1");
}

inline void register_reverse_sequence(Registry& r) {
    r.add(OpDef{
        "ReverseSequence", nullptr,
        [](InferContext& c) {
            c.expect_inputs(2, 2);
            int64_t time, batch;
            reverse_sequence_axes(c.attrs(), c.where(), time, batch);
            const Shape& x = c.shape(0);
            if (x.rank() < 2) c.fail("ReverseSequence input has rank < 2", "input has shape " + x.str());
            if (c.dtype(1) != DType::i64) c.fail("unsupported ReverseSequence sequence_lens dtype", std::string(dtype_name(c.dtype(1))) + "; int64 is required");
            const Shape& l = c.shape(1);
            const int64_t nb = x[static_cast<size_t>(batch)];
            if (l.rank() != 1 || (nb >= 0 && l[0] >= 0 && l[0] != nb))
                c.fail("ReverseSequence sequence_lens does not match the batch", "sequence_lens " + l.str() + ", input " + x.str() + ", batch_axis " + std::to_string(batch));
            c.set_output(0, c.dtype(0), x);
        },
        [](const PrepareContext& pc) -> Kernel {
            int64_t time, batch;
            reverse_sequence_axes(pc.attrs(), pc.where(), time, batch);
            return [time, batch](ExecContext& c) {
                const Tensor& x = c.input(0);
                const Shape& s = x.shape();
                const int64_t inner = s.product(2, s.rank());
                const int64_t nt = s[static_cast<size_t>(time)], nb = s[static_cast<size_t>(batch)];
                const int64_t st_t = time == 0 ? s[1] * inner : inner, st_b = batch == 0 ? s[1] * inner : inner;
                const std::vector<int64_t> lens = c.input(1).to_i64_vector();
                if (static_cast<int64_t>(lens.size()) != nb)
                    throw Error("ReverseSequence sequence_lens does not match the batch", Graph::where(*c.node), std::to_string(lens.size()) + " lengths for " + std::to_string(nb));
                for (int64_t l : lens)
                    if (l < 0 || l > nt)
                        throw Error("ReverseSequence length out of range", Graph::where(*c.node), "length " + std::to_string(l) + " for a time axis of " + std::to_string(nt));
                const size_t es = dtype_size(x.dtype());
                const char* xp = static_cast<const char*>(x.raw());
                char* yp = static_cast<char*>(c.out[0]->raw());
                const int64_t pairs = nt * nb;
                parallel_chunks(pairs, grain_for(pairs, inner + 8), [&](int64_t b, int64_t e) {
                    for (int64_t p = b; p < e; ++p) {
                        const int64_t bi = p / nt, t = p % nt, len = lens[static_cast<size_t>(bi)];
                        const int64_t ts = t < len ? len - 1 - t : t;
                        std::memcpy(yp + (t * st_t + bi * st_b) * static_cast<int64_t>(es), xp + (ts * st_t + bi * st_b) * static_cast<int64_t>(es),
                                    static_cast<size_t>(inner) * es);
                    }
                });
            };
        },
        10});
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_REVERSE_SEQUENCE_HPP_

// Where: y = cond ? x : y, the three inputs broadcast together (numpy.where), any dtype (elements
// are copied, never converted).
#ifndef MUTINY_OPS_LOGIC_WHERE_HPP_
#define MUTINY_OPS_LOGIC_WHERE_HPP_

#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"

namespace mutiny {
namespace logic {

inline void infer_where(InferContext& c) {
    c.expect_inputs(3, 3);
    if (c.dtype(0) != DType::boolean) c.fail("Where condition is not bool", std::string("it is ") + dtype_name(c.dtype(0)));
    if (c.dtype(1) != c.dtype(2))
        c.fail("Where inputs X and Y differ in dtype", std::string(dtype_name(c.dtype(1))) + " and " + dtype_name(c.dtype(2)));
    const Shape s = Shape::broadcast(Shape::broadcast(c.shape(0), c.shape(1), c.where()), c.shape(2), c.where());
    c.set_output(0, c.dtype(1), s);
}

inline Kernel prepare_where(const PrepareContext&) {
    return [](ExecContext& c) {
        const Tensor &cond = c.input(0), &x = c.input(1), &y = c.input(2);
        Tensor& out = *c.out[0];
        const Shape& os = out.shape();
        const size_t r = os.rank();
        const auto sc = broadcast_strides(cond.shape(), os), sx = broadcast_strides(x.shape(), os), sy = broadcast_strides(y.shape(), os);
        const int64_t inner = r ? os[r - 1] : 1, n = out.numel();
        if (n == 0) return;
        const int64_t outer = n / inner;
        const size_t es = dtype_size(out.dtype());
        const uint8_t* cp = static_cast<const uint8_t*>(cond.raw());
        const char* xp = static_cast<const char*>(x.raw());
        const char* yp = static_cast<const char*>(y.raw());
        char* op = static_cast<char*>(out.raw());
        const int64_t ic = r ? sc[r - 1] : 0, ix = r ? sx[r - 1] : 0, iy = r ? sy[r - 1] : 0;
        parallel_chunks(outer, grain_for(outer, inner), [&](int64_t b, int64_t e) {
            for (int64_t o = b; o < e; ++o) {
                int64_t rem = o, oc = 0, ox = 0, oy = 0;
                for (size_t d = r > 0 ? r - 1 : 0; d-- > 0;) {
                    const int64_t idx = rem % os[d];
                    rem /= os[d];
                    oc += idx * sc[d];
                    ox += idx * sx[d];
                    oy += idx * sy[d];
                }
                for (int64_t i = 0; i < inner; ++i) {
                    const bool take_x = cp[oc + i * ic] != 0;
                    const char* src = take_x ? xp + (ox + i * ix) * static_cast<int64_t>(es) : yp + (oy + i * iy) * static_cast<int64_t>(es);
                    std::memcpy(op + (o * inner + i) * static_cast<int64_t>(es), src, es);
                }
            }
        });
    };
}

inline void register_where(Registry& r) { r.add(OpDef{"Where", nullptr, infer_where, prepare_where}); }

}  // namespace logic
}  // namespace mutiny

#endif  // MUTINY_OPS_LOGIC_WHERE_HPP_

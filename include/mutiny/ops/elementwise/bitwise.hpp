// BitwiseAnd, BitwiseOr, BitwiseXor (numpy broadcasting) and BitwiseNot (opset 18), on the integer
// types ONNX lists (int8..int64, uint8..uint64). The bits are those of numpy's &, |, ^ and ~; there
// is no float arithmetic and so no mutation site.
#ifndef MUTINY_OPS_ELEMENTWISE_BITWISE_HPP_
#define MUTINY_OPS_ELEMENTWISE_BITWISE_HPP_

#include <string>
#include <type_traits>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "broadcast.hpp"

namespace mutiny {
namespace ew {

inline bool is_bitwise_dtype(DType t) {
    switch (t) {
        case DType::i8: case DType::i16: case DType::i32: case DType::i64:
        case DType::u8: case DType::u16: case DType::u32: case DType::u64: return true;
        default: return false;
    }
}

inline void expect_bitwise(const InferContext& c, size_t i) {
    if (!is_bitwise_dtype(c.dtype(i)))
        c.fail("unsupported input dtype", "input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)) + "; " + c.node().op +
                                              " takes integers (int8..int64, uint8..uint64)");
}

// f(a, b) on the storage type itself (promotion to int would change nothing but the bits of ~).
template <class F>
Kernel bitwise_binary(F f) {
    return [f](ExecContext& c) {
        dispatch_dtype(c.input(0).dtype(), [&](auto tag) {
            using T = decltype(tag);
            if constexpr (std::is_integral_v<T>) {
                broadcast_apply<T>(c.input(0), c.input(1), *c.out[0], [f](T a, T b) { return static_cast<T>(f(a, b)); });
            }
        });
    };
}

inline void register_bitwise_ops(Registry& r) {
    auto infer2 = [](InferContext& c) {
        infer_binary(c);  // two inputs of one dtype, broadcast
        expect_bitwise(c, 0);
    };
    r.add(OpDef{"BitwiseAnd", nullptr, infer2, [](const PrepareContext&) { return bitwise_binary([](auto a, auto b) { return a & b; }); }, 18});
    r.add(OpDef{"BitwiseOr", nullptr, infer2, [](const PrepareContext&) { return bitwise_binary([](auto a, auto b) { return a | b; }); }, 18});
    r.add(OpDef{"BitwiseXor", nullptr, infer2, [](const PrepareContext&) { return bitwise_binary([](auto a, auto b) { return a ^ b; }); }, 18});
    OpDef& no = r.add(OpDef{"BitwiseNot", nullptr,
                            [](InferContext& c) {
                                c.expect_inputs(1, 1);
                                expect_bitwise(c, 0);
                                c.set_output(0, c.dtype(0), c.shape(0));
                            },
                            [](const PrepareContext&) -> Kernel {
                                return [](ExecContext& c) {
                                    const Tensor& x = c.input(0);
                                    dispatch_dtype(x.dtype(), [&](auto tag) {
                                        using T = decltype(tag);
                                        if constexpr (std::is_integral_v<T>) {
                                            const T* xp = static_cast<const T*>(x.raw());
                                            T* yp = static_cast<T*>(c.out[0]->raw());
                                            parallel_chunks(x.numel(), 65536, [&](int64_t b, int64_t e) {
                                                for (int64_t i = b; i < e; ++i) yp[i] = static_cast<T>(~xp[i]);
                                            });
                                        }
                                    });
                                };
                            },
                            18});
    no.unit_local = UnitLocality::elementwise;
}

}  // namespace ew
}  // namespace mutiny

#endif  // MUTINY_OPS_ELEMENTWISE_BITWISE_HPP_

// Mod and BitShift, with numpy broadcasting. Mod: fmod = 0 takes the sign of the divisor (Python's
// %, numpy.mod), fmod = 1 the sign of the dividend (C's fmod / %); an integer remainder by zero is
// 0 (numpy's result), never undefined behaviour. BitShift (unsigned integers): direction LEFT or
// RIGHT; shifting by the type's width or more gives 0.
#ifndef MUTINY_OPS_ELEMENTWISE_MOD_BITSHIFT_HPP_
#define MUTINY_OPS_ELEMENTWISE_MOD_BITSHIFT_HPP_

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "../common.hpp"
#include "broadcast.hpp"

namespace mutiny {
namespace ew {

template <class C>
inline C mod_of(C a, C b, bool fmod) {
    if constexpr (std::is_floating_point_v<C>) {
        C m = std::fmod(a, b);
        if (!fmod && m != C(0) && ((m < C(0)) != (b < C(0)))) m += b;
        return m;
    } else {
        if (b == 0) return 0;
        if constexpr (std::is_signed_v<C>) {
            if (b == -1) return 0;  // also avoids INT_MIN % -1
        }
        C m = static_cast<C>(a % b);
        if constexpr (std::is_signed_v<C>) {
            if (!fmod && m != 0 && ((m < 0) != (b < 0))) m = static_cast<C>(m + b);
        }
        return m;
    }
}

inline void register_mod(Registry& r) {
    r.add(OpDef{"Mod", nullptr,
                [](InferContext& c) {
                    infer_binary(c);
                    if (dtype_is_float(c.dtype(0)) && c.attrs().get_int("fmod", 0) == 0)
                        c.fail("Mod of floats needs fmod = 1", "ONNX defines only C's fmod for floating-point inputs");
                },
                [](const PrepareContext& pc) -> Kernel {
                    const bool fmod = pc.attrs().get_int("fmod", 0) != 0;
                    return [fmod](ExecContext& c) {
                        dispatch_dtype(c.input(0).dtype(), [&](auto tag) {
                            using T = decltype(tag);
                            broadcast_apply<T>(c.input(0), c.input(1), *c.out[0], [fmod](auto a, auto b) { return mod_of(a, b, fmod); });
                        });
                    };
                }});
}

inline void register_bitshift(Registry& r) {
    r.add(OpDef{"BitShift", nullptr,
                [](InferContext& c) {
                    infer_binary(c);
                    const DType t = c.dtype(0);
                    if (t != DType::u8 && t != DType::u16 && t != DType::u32 && t != DType::u64)
                        c.fail("unsupported input dtype", std::string(dtype_name(t)) + "; BitShift takes unsigned integers");
                    const std::string d = c.attrs().get_string("direction", "");
                    if (d != "LEFT" && d != "RIGHT") c.fail("bad BitShift direction", "'" + d + "'; LEFT or RIGHT");
                },
                [](const PrepareContext& pc) -> Kernel {
                    const bool left = pc.attrs().get_string("direction", "") == "LEFT";
                    return [left](ExecContext& c) {
                        dispatch_dtype(c.input(0).dtype(), [&](auto tag) {
                            using T = decltype(tag);
                            if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
                                broadcast_apply<T>(c.input(0), c.input(1), *c.out[0], [left](T a, T b) -> T {
                                    if (b >= std::numeric_limits<T>::digits) return 0;
                                    return static_cast<T>(left ? a << b : a >> b);
                                });
                            }
                        });
                    };
                }});
}

}  // namespace ew
}  // namespace mutiny

#endif  // MUTINY_OPS_ELEMENTWISE_MOD_BITSHIFT_HPP_

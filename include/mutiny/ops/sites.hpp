// Kernel-level mutation sites (MutateNN's TIR mutations; docs/mutation.md): what a kernel mutant
// configures (SiteConfig) and which sites an op's kernels have (KernelSites, part of its OpDef).
// Kernels consult the SiteConfig at their comparison, store and reduction sites; the
// default-constructed config is the unmutated code.
//
// The enums are written once, as X-macros: the C++ enums come from them, and so do the names the
// OpenCL kernels compare against (site_enum_options(), passed to every program build), so the
// kernels/*.cl files never hold a bare site number that could drift from the host's.
#ifndef MUTINY_OPS_SITES_HPP_
#define MUTINY_OPS_SITES_HPP_

#include <cstdint>
#include <string>

// X(c++ name, OpenCL name suffix)
#define MUTINY_SITE_CMP_VALUES(X) X(none, NONE) X(lt_to_le, LT_TO_LE) X(lt_to_gt, LT_TO_GT) X(gt_to_lt, GT_TO_LT) X(gt_to_ge, GT_TO_GE)
#define MUTINY_SITE_STORE_VALUES(X) \
    X(none, NONE) X(f16, F16) X(i32, I32) X(i16, I16) X(i8, I8) X(sub_eps, SUB_EPS) X(mul_eps, MUL_EPS)
// How QuantizeLinear rounds x / scale (ONNX: half to even).
#define MUTINY_SITE_ROUND_VALUES(X) X(none, NONE) X(half_away, HALF_AWAY) X(toward_zero, TOWARD_ZERO) X(floor, FLOOR) X(ceil, CEIL)
#define MUTINY_SITE_SHIFT_VALUES(X) \
    X(none, NONE) X(add, ADD) X(sub, SUB) X(mul, MUL) X(div, DIV) X(add_percent, ADD_PERCENT) X(sub_percent, SUB_PERCENT)

namespace mutiny {

struct SiteConfig {
#define MUTINY_SITE_ENUM_ENTRY(name, cl) name,
    enum class Cmp : uint8_t { MUTINY_SITE_CMP_VALUES(MUTINY_SITE_ENUM_ENTRY) };
    enum class Store : uint8_t { MUTINY_SITE_STORE_VALUES(MUTINY_SITE_ENUM_ENTRY) };
    // Threshold shift of a comparison's right-hand side b (MutateNN's change_threshold_ite):
    // add b + t, sub b - t, mul b * t, div b / t, add_percent b + |b| t / 100, sub_percent b - |b| t / 100.
    enum class Shift : uint8_t { MUTINY_SITE_SHIFT_VALUES(MUTINY_SITE_ENUM_ENTRY) };
    // Rounding of a quantizer (none: half to even, as ONNX defines it).
    enum class Round : uint8_t { MUTINY_SITE_ROUND_VALUES(MUTINY_SITE_ENUM_ENTRY) };
#undef MUTINY_SITE_ENUM_ENTRY
    Cmp cmp = Cmp::none;
    Shift shift = Shift::none;
    double threshold = 0.5;     // t of the shift (used only when shift != none)
    Store store = Store::none;
    bool reduction_drop_last = false;  // one accumulation term fewer
    Round round = Round::none;
    bool is_default() const {
        return cmp == Cmp::none && shift == Shift::none && store == Store::none && !reduction_drop_last && round == Round::none;
    }
};

// Which kernel-level sites an op's kernels have (on every backend). A node whose op lacks a site
// is "not applicable" to the mutation operators of that site.
struct KernelSites {
    bool lt = false;         // a comparison written `a < b` (Relu's `x < 0`, Clip's `x < min`)
    bool gt = false;         // a comparison written `a > b` (MaxPool's `v > best`, Clip's `x > max`)
    bool store = false;      // float32 results pass through site_store
    bool reduction = false;  // a reduction loop whose bound MUTINY_DROP_LAST shortens
    bool rounding = false;   // a quantizer's rounding of x / scale (QuantizeLinear)
    bool any() const { return lt || gt || store || reduction || rounding; }
};

// -D options naming every enum value (MUTINY_CMP_LT_TO_LE=1, ...), for the OpenCL kernels.
inline std::string site_enum_options() {
    std::string o;
    int i = 0;
#define MUTINY_SITE_ENUM_OPTION(name, cl) o += " -DMUTINY_" PREFIX "_" #cl "=" + std::to_string(i++);
#define PREFIX "CMP"
    i = 0;
    MUTINY_SITE_CMP_VALUES(MUTINY_SITE_ENUM_OPTION)
#undef PREFIX
#define PREFIX "STORE"
    i = 0;
    MUTINY_SITE_STORE_VALUES(MUTINY_SITE_ENUM_OPTION)
#undef PREFIX
#define PREFIX "SHIFT"
    i = 0;
    MUTINY_SITE_SHIFT_VALUES(MUTINY_SITE_ENUM_OPTION)
#undef PREFIX
#define PREFIX "ROUND"
    i = 0;
    MUTINY_SITE_ROUND_VALUES(MUTINY_SITE_ENUM_OPTION)
#undef PREFIX
#undef MUTINY_SITE_ENUM_OPTION
    return o;
}

}  // namespace mutiny

#endif  // MUTINY_OPS_SITES_HPP_

// Boolean logic with numpy broadcasting: And, Or, Xor (bool inputs), Not.
#ifndef MUTINY_OPS_LOGIC_LOGICAL_HPP_
#define MUTINY_OPS_LOGIC_LOGICAL_HPP_

#include <string>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../elementwise/broadcast.hpp"

namespace mutiny {
namespace logic {

inline void expect_bool(const InferContext& c, size_t i) {
    if (c.dtype(i) != DType::boolean)
        c.fail("unsupported input dtype", "input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)) + "; " + c.node().op + " takes bool");
}

inline void infer_logical(InferContext& c) {
    c.expect_inputs(2, 2);
    expect_bool(c, 0);
    expect_bool(c, 1);
    c.set_output(0, DType::boolean, Shape::broadcast(c.shape(0), c.shape(1), c.where()));
}

template <class F>
Kernel logical(F f) {
    return [f](ExecContext& c) {
        ew::broadcast_apply<uint8_t>(c.input(0), c.input(1), *c.out[0], [f](unsigned a, unsigned b) { return static_cast<uint8_t>(f(a != 0, b != 0)); });
    };
}

inline void register_logical_ops(Registry& r) {
    r.add(OpDef{"And", nullptr, infer_logical, [](const PrepareContext&) { return logical([](bool a, bool b) { return a && b; }); }});
    r.add(OpDef{"Or", nullptr, infer_logical, [](const PrepareContext&) { return logical([](bool a, bool b) { return a || b; }); }});
    r.add(OpDef{"Xor", nullptr, infer_logical, [](const PrepareContext&) { return logical([](bool a, bool b) { return a != b; }); }});
    r.add(OpDef{"Not", nullptr,
                [](InferContext& c) {
                    c.expect_inputs(1, 1);
                    expect_bool(c, 0);
                    c.set_output(0, DType::boolean, c.shape(0));
                },
                [](const PrepareContext&) -> Kernel {
                    return [](ExecContext& c) {
                        const uint8_t* x = static_cast<const uint8_t*>(c.input(0).raw());
                        uint8_t* y = static_cast<uint8_t*>(c.out[0]->raw());
                        parallel_chunks(c.input(0).numel(), 65536, [&](int64_t b, int64_t e) {
                            for (int64_t i = b; i < e; ++i) y[i] = x[i] ? 0 : 1;
                        });
                    };
                }})
        .unit_local = UnitLocality::elementwise;
}

}  // namespace logic
}  // namespace mutiny

#endif  // MUTINY_OPS_LOGIC_LOGICAL_HPP_

// Device memory of the OpenCL executor: owning handles for buffers and kernels, buffer creation
// with out-of-memory errors that name the value, blocking transfers, and the constants (weights)
// uploaded once per executor and shared by every plan.
#ifndef MUTINY_EXEC_OPENCL_BUFFERS_HPP_
#define MUTINY_EXEC_OPENCL_BUFFERS_HPP_

#if MUTINY_WITH_OPENCL

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "../../graph/graph.hpp"
#include "../../ops/op.hpp"
#include "device.hpp"

namespace mutiny {
namespace opencl {

// Owning handles (move-only) for the OpenCL objects a plan creates.
class Mem {
public:
    Mem() = default;
    explicit Mem(cl_mem m) : m_(m) {}
    Mem(Mem&& o) noexcept : m_(o.m_) { o.m_ = nullptr; }
    Mem& operator=(Mem&& o) noexcept {
        if (this != &o) {
            reset();
            m_ = o.m_;
            o.m_ = nullptr;
        }
        return *this;
    }
    Mem(const Mem&) = delete;
    Mem& operator=(const Mem&) = delete;
    ~Mem() { reset(); }
    cl_mem get() const { return m_; }
    void reset() {
        if (m_) clReleaseMemObject(m_);
        m_ = nullptr;
    }

private:
    cl_mem m_ = nullptr;
};

class Kern {
public:
    Kern() = default;
    explicit Kern(cl_kernel k) : k_(k) {}
    Kern(Kern&& o) noexcept : k_(o.k_) { o.k_ = nullptr; }
    Kern& operator=(Kern&& o) noexcept {
        if (this != &o) {
            if (k_) clReleaseKernel(k_);
            k_ = o.k_;
            o.k_ = nullptr;
        }
        return *this;
    }
    Kern(const Kern&) = delete;
    Kern& operator=(const Kern&) = delete;
    ~Kern() {
        if (k_) clReleaseKernel(k_);
    }
    cl_kernel get() const { return k_; }

private:
    cl_kernel k_ = nullptr;
};

// A read-write buffer of `bytes` (copied from `host` when given), owned by `owned`.
inline cl_mem create_buffer(DeviceContext& ctx, std::vector<Mem>& owned, size_t bytes, const void* host, const std::string& what) {
    const std::string where = ctx.info().label();
    cl_int e = CL_SUCCESS;
    const size_t n = std::max<size_t>(bytes, 4);  // OpenCL has no empty buffers
    cl_mem m = clCreateBuffer(ctx.context(), host ? (CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR) : CL_MEM_READ_WRITE, n,
                              host && bytes ? const_cast<void*>(host) : nullptr, &e);
    if (e != CL_SUCCESS && host && !bytes) m = clCreateBuffer(ctx.context(), CL_MEM_READ_WRITE, n, nullptr, &e);
    if (is_out_of_memory(e))
        throw Error("out of device memory", where, what + " needs " + std::to_string(bytes) + " bytes (" + error_name(e) + ")");
    check(e, "clCreateBuffer for " + what, where);
    owned.emplace_back(m);
    return m;
}

inline void write_buffer(cl_command_queue q, cl_mem m, const Tensor& t, const std::string& name, const std::string& where) {
    if (t.nbytes() == 0) return;
    check(clEnqueueWriteBuffer(q, m, CL_TRUE, 0, t.nbytes(), t.raw(), 0, nullptr, nullptr), "writing '" + name + "' to the device", where);
}

inline Tensor read_buffer(cl_command_queue q, cl_mem m, const TypeInfo& ti, const std::string& name, const std::string& where) {
    Tensor t(ti.dtype, ti.shape);
    if (t.nbytes() == 0) return t;
    check(clEnqueueReadBuffer(q, m, CL_TRUE, 0, t.nbytes(), t.raw(), 0, nullptr, nullptr), "reading '" + name + "' from the device", where);
    return t;
}

// The graph's constants on the device, uploaded on first use and kept for the executor's life.
class ConstantBuffers {
public:
    cl_mem get(DeviceContext& ctx, const Graph& g, int v) {
        auto it = m_.find(v);
        if (it != m_.end()) return it->second.get();
        const Tensor& t = g.value(v).constant;
        cl_int e = CL_SUCCESS;
        cl_mem m = clCreateBuffer(ctx.context(), CL_MEM_READ_ONLY | (t.nbytes() ? CL_MEM_COPY_HOST_PTR : 0),
                                  std::max<size_t>(t.nbytes(), 4), t.nbytes() ? const_cast<void*>(t.raw()) : nullptr, &e);
        if (is_out_of_memory(e))
            throw Error("out of device memory", ctx.info().label(),
                        "constant '" + g.value(v).name + "' needs " + std::to_string(t.nbytes()) + " bytes");
        check(e, "clCreateBuffer for constant '" + g.value(v).name + "'", ctx.info().label());
        m_[v] = Mem(m);
        return m;
    }
    void clear() { m_.clear(); }

private:
    std::map<int, Mem> m_;
};

}  // namespace opencl
}  // namespace mutiny

#endif  // MUTINY_WITH_OPENCL
#endif  // MUTINY_EXEC_OPENCL_BUFFERS_HPP_

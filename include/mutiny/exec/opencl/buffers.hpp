// Device memory of the OpenCL executor: owning handles for buffers and kernels, buffer creation
// with out-of-memory errors that name the value, transfers (counted in the device's
// TransferStats), and the constants (weights) uploaded once per executor and shared by every plan,
// or by a mutant's executor with the original's (ConstantBuffers::share).
#ifndef MUTINY_EXEC_OPENCL_BUFFERS_HPP_
#define MUTINY_EXEC_OPENCL_BUFFERS_HPP_

#if MUTINY_WITH_OPENCL

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../../graph/graph.hpp"
#include "../../ops/op.hpp"
#include "device.hpp"

namespace mutiny {
namespace opencl {

// Owning handles (move-only) for the OpenCL objects a plan creates. A buffer gives its bytes back
// to the device's account (DeviceContext::reserve) when released.
class Mem {
public:
    Mem() = default;
    Mem(cl_mem m, DeviceContext* ctx, uint64_t bytes) : m_(m), ctx_(ctx), bytes_(bytes) {}
    Mem(Mem&& o) noexcept : m_(o.m_), ctx_(o.ctx_), bytes_(o.bytes_) { o.m_ = nullptr; }
    Mem& operator=(Mem&& o) noexcept {
        if (this != &o) {
            reset();
            m_ = o.m_;
            ctx_ = o.ctx_;
            bytes_ = o.bytes_;
            o.m_ = nullptr;
        }
        return *this;
    }
    Mem(const Mem&) = delete;
    Mem& operator=(const Mem&) = delete;
    ~Mem() { reset(); }
    cl_mem get() const { return m_; }
    void reset() {
        if (m_) {
            clReleaseMemObject(m_);
            if (ctx_) ctx_->release(bytes_);
        }
        m_ = nullptr;
    }

private:
    cl_mem m_ = nullptr;
    DeviceContext* ctx_ = nullptr;
    uint64_t bytes_ = 0;
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

// A buffer of `bytes` (copied from `host` when given: counted as a write), owned by `owned`;
// read-write unless `flags` say otherwise (constants are CL_MEM_READ_ONLY).
inline cl_mem create_buffer(DeviceContext& ctx, std::vector<Mem>& owned, size_t bytes, const void* host, const std::string& what,
                            cl_mem_flags flags = CL_MEM_READ_WRITE) {
    const std::string where = ctx.info().label();
    cl_int e = CL_SUCCESS;
    const size_t n = std::max<size_t>(bytes, 4);  // OpenCL has no empty buffers
    ctx.reserve(n, what);
    cl_mem m = clCreateBuffer(ctx.context(), host && bytes ? (flags | CL_MEM_COPY_HOST_PTR) : flags, n,
                              host && bytes ? const_cast<void*>(host) : nullptr, &e);
    if (e != CL_SUCCESS) ctx.release(n);
    if (is_out_of_memory(e))
        throw Error("out of device memory", where, what + " needs " + std::to_string(bytes) + " bytes (" + error_name(e) + ")");
    check(e, "clCreateBuffer for " + what, where);
    if (host && bytes) ctx.count_write(bytes);
    owned.emplace_back(m, &ctx, n);
    return m;
}

inline void write_buffer(DeviceContext& ctx, cl_command_queue q, cl_mem m, const Tensor& t, const std::string& name) {
    if (t.nbytes() == 0) return;
    check(clEnqueueWriteBuffer(q, m, CL_TRUE, 0, t.nbytes(), t.raw(), 0, nullptr, nullptr), "writing '" + name + "' to the device",
          ctx.info().label());
    ctx.count_write(t.nbytes());
}

inline Tensor read_buffer(DeviceContext& ctx, cl_command_queue q, cl_mem m, const TypeInfo& ti, const std::string& name) {
    Tensor t(ti.dtype, ti.shape);
    if (t.nbytes() == 0) return t;
    check(clEnqueueReadBuffer(q, m, CL_TRUE, 0, t.nbytes(), t.raw(), 0, nullptr, nullptr), "reading '" + name + "' from the device",
          ctx.info().label());
    ctx.count_read(t.nbytes());
    return t;
}

// The graph's constants on the device, uploaded on first use and kept for the executor's life.
// share() makes a mutant's executor take every constant but its own edited ones from the
// original's (same graph, same value ids): a weight mutant uploads only the buffers it changed.
class ConstantBuffers {
public:
    void share(ConstantBuffers* from, const Graph* from_graph, std::set<int> own) {
        parent_ = from;
        parent_graph_ = from_graph;
        own_ = std::move(own);
    }
    cl_mem get(DeviceContext& ctx, const Graph& g, int v) {
        if (parent_ && !own_.count(v)) return parent_->get(ctx, *parent_graph_, v);
        auto it = m_.find(v);
        if (it != m_.end()) return it->second.get();
        std::vector<Mem> one;
        const Tensor& t = g.value(v).constant;
        cl_mem m = create_buffer(ctx, one, t.nbytes(), t.raw(), "constant '" + g.value(v).name + "'", CL_MEM_READ_ONLY);
        m_[v] = std::move(one.front());
        return m;
    }
    void clear() { m_.clear(); }

private:
    std::map<int, Mem> m_;
    ConstantBuffers* parent_ = nullptr;
    const Graph* parent_graph_ = nullptr;
    std::set<int> own_;
};

}  // namespace opencl
}  // namespace mutiny

#endif  // MUTINY_WITH_OPENCL
#endif  // MUTINY_EXEC_OPENCL_BUFFERS_HPP_

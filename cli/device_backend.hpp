// The executor `--device` picks for eval and run: the CPU (default) or an OpenCL device
// (opencl[:N|:NAME], an index or a name substring; plain `opencl` takes MUTINY_OPENCL_DEVICE, else
// device 0). Campaigns pick theirs through campaign_devices.hpp instead.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <mutiny/core/tensor.hpp>
#include <mutiny/graph/graph.hpp>

#include "args.hpp"

namespace mutiny {
class CpuExecutor;
class OpenClExecutor;
}  // namespace mutiny

namespace cli {

class DeviceBackend {
public:
    // Reads --device and --threads from `a`.
    DeviceBackend(const mutiny::Graph& g, const Args& a);
    ~DeviceBackend();
    std::vector<mutiny::Tensor> run(const std::vector<mutiny::Tensor>& in);
    int threads() const;  // 0 on an OpenCL device
    // Per node of the graph: "" when it runs on the device, else why it runs its CPU kernel on the
    // host (no OpenCL kernel for its op, a dtype its kernel lacks, ...); all "" on the CPU.
    std::vector<std::string> host_reasons();
    const std::string& label() const { return label_; }

private:
    std::unique_ptr<mutiny::CpuExecutor> cpu_;
#if MUTINY_WITH_OPENCL
    std::unique_ptr<mutiny::OpenClExecutor> ocl_;
#endif
    std::string label_;
};

}  // namespace cli

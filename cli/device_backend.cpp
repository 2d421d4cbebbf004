#include "device_backend.hpp"

#include <mutiny/core/error.hpp>
#include <mutiny/exec/cpu/executor.hpp>
#include <mutiny/exec/opencl/opencl.hpp>

namespace cli {

DeviceBackend::DeviceBackend(const mutiny::Graph& g, const Args& a) {
    const std::string spec = a.get("device", "cpu");
    if (a.has("precision") && spec == "cpu") throw UsageError("--precision applies to --device opencl only");
    if (spec == "cpu") {
        mutiny::CpuOptions opt;
        opt.threads = threads_option(a);
        cpu_ = std::make_unique<mutiny::CpuExecutor>(g, opt);
        label_ = "cpu, " + std::to_string(cpu_->threads()) + " threads";
        return;
    }
    if (spec != "opencl" && spec.rfind("opencl:", 0) != 0) throw UsageError("--device must be cpu or opencl[:N|:NAME], got '" + spec + "'");
    const std::string precision = a.get("precision", "fp32");
    if (precision != "fp32" && precision != "fp16") throw UsageError("--precision must be fp32 or fp16, got '" + precision + "'");
#if MUTINY_WITH_OPENCL
    mutiny::OpenClOptions opt;
    opt.device = spec == "opencl" ? "" : spec.substr(7);
    if (spec != "opencl" && opt.device.empty()) throw UsageError("--device opencl: needs a device index or name");
    opt.fp16_compute = precision == "fp16";
    ocl_ = std::make_unique<mutiny::OpenClExecutor>(g, opt);
    label_ = "opencl, " + ocl_->device().name + " (" + ocl_->device().platform_name + ")";
#else
    throw mutiny::Error("OpenCL backend not built", "--device " + spec, "rebuild with -DMUTINY_WITH_OPENCL=ON");
#endif
}

DeviceBackend::~DeviceBackend() = default;

std::vector<mutiny::Tensor> DeviceBackend::run(const std::vector<mutiny::Tensor>& in) {
#if MUTINY_WITH_OPENCL
    if (ocl_) return ocl_->run(in);
#endif
    return cpu_->run(in);
}

std::vector<std::string> DeviceBackend::host_reasons() {
#if MUTINY_WITH_OPENCL
    if (ocl_) return ocl_->host_reasons();
#endif
    return std::vector<std::string>(cpu_->graph().nodes.size());
}

int DeviceBackend::threads() const { return cpu_ ? cpu_->threads() : 0; }

}  // namespace cli

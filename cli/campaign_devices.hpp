// Devices other than the CPU for `mutiny campaign --device`: the library's Campaign
// knows only the CPU, so it does not depend on OpenCL; CampaignOptions::make_device asks this
// function for the others.
#pragma once

#include <memory>
#include <string>

#include <mutiny/analysis/campaign.hpp>

namespace cli {

// opencl, opencl:N or opencl:NAME; anything else, or OpenCL not built, throws mutiny::Error.
std::unique_ptr<mutiny::CampaignDevice> make_campaign_device(const std::string& name, const mutiny::Graph& g,
                                                             const mutiny::CampaignOptions& options);

}  // namespace cli

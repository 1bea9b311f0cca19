// The optimizer and learning-rate schedule `xgrad train` builds from its flags.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "tools/xgrad/commands.hpp"
#include "xgrad/autograd/tensor.hpp"
#include "xgrad/optim/lr_scheduler.hpp"
#include "xgrad/optim/optimizer.hpp"

namespace xg::cli {

// Throws UsageError for a flag the chosen optimizer does not have (--nesterov without
// sgd, --betas without adam/adamw, --momentum with adam, ...) or an unknown name, and
// the optimizer's own ValueError for values out of range.
std::unique_ptr<optim::Optimizer> make_optimizer(const OptimOptions& options,
                                                 std::vector<Tensor> params);
// Nullptr for the "constant" schedule; UsageError for an unknown name.
std::unique_ptr<optim::LRScheduler> make_scheduler(const OptimOptions& options,
                                                   optim::Optimizer& optimizer, int epochs);
// "0.9,0.999" -> {0.9, 0.999}; UsageError otherwise.
std::array<double, 2> parse_betas(const std::string& text);
// "Adam(lr=0.001, ...)", for the log.
std::string describe_optimizer(const optim::Optimizer& optimizer);

}  // namespace xg::cli

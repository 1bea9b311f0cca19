// The optimizer and learning-rate schedule `xgrad train` builds from its flags, and the
// defaults it uses for the flags that are not given.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tools/xgrad/commands.hpp"
#include "xgrad/autograd/tensor.hpp"
#include "xgrad/optim/lr_scheduler.hpp"
#include "xgrad/optim/optimizer.hpp"

namespace xg::cli {

// The two defaults that are the CLI's own rather than the library's: SGD has no default
// learning rate in the library (SGDOptions::lr must be given, as in PyTorch), and plain
// SGD trains the MLPs slowly, so `--optimizer sgd` uses momentum (SGDOptions{} has 0).
inline constexpr double kSgdDefaultLr = 0.01;
inline constexpr double kSgdDefaultMomentum = 0.9;

// What an optimizer gets for each flag that is not given. Everything but the two SGD
// values above is read from the library's option structs (AdamOptions{}.lr, ...), so the
// CLI cannot drift from them. An empty optional: the flag does not apply to it.
struct OptimizerDefaults {
  std::string name = {};  // the --optimizer value: "sgd", "adam", ...
  double lr = 0.0;
  double weight_decay = 0.0;
  std::optional<double> momentum = {};              // sgd, rmsprop
  std::optional<double> eps = {};                   // adam, adamw, rmsprop, adagrad
  std::optional<std::array<double, 2>> betas = {};  // adam, adamw
};

// Every optimizer --optimizer accepts, in help order (sgd, adam, adamw, rmsprop, adagrad).
const std::vector<OptimizerDefaults>& optimizer_defaults();
// The names of optimizer_defaults(), for --optimizer's check.
std::vector<std::string> optimizer_names();
// The help text's list of defaults for one flag ("lr", "momentum", "weight-decay", "eps"
// or "betas"), over the optimizers it applies to: "sgd 0.01; adam 0.001; ...".
std::string defaults_help(const std::string& flag);

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

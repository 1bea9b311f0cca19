#include "tools/xgrad/optimizer_factory.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "xgrad/optim/adagrad.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/rmsprop.hpp"
#include "xgrad/optim/sgd.hpp"

namespace xg::cli {

double default_lr(const std::string& optimizer) {
  if (optimizer == "sgd") return 0.01;
  if (optimizer == "adagrad") return 0.01;
  return 1e-3;  // adam, adamw, rmsprop
}

std::array<double, 2> parse_betas(const std::string& text) {
  std::array<double, 2> b{};
  const std::size_t comma = text.find(',');
  bool ok = comma != std::string::npos;
  for (int i = 0; ok && i < 2; ++i) {
    const std::string item = i == 0 ? text.substr(0, comma) : text.substr(comma + 1);
    char* end = nullptr;
    errno = 0;
    b[i] = std::strtod(item.c_str(), &end);
    ok = !item.empty() && end == item.c_str() + item.size() && errno == 0;
  }
  if (!ok) throw UsageError("--betas: expected two numbers such as 0.9,0.999, got '" + text + "'");
  return b;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const OptimOptions& o,
                                                 std::vector<Tensor> params) {
  const std::string& name = o.optimizer;
  auto refuse = [&](bool given, const char* flag, const char* who) {
    if (given) {
      throw UsageError(std::string(flag) + " does not apply to --optimizer " + name + " (only to " +
                       who + ")");
    }
  };
  const double lr = o.lr.value_or(default_lr(name));
  const double wd = o.weight_decay.value_or(name == "adamw" ? 1e-2 : 0.0);
  if (name == "sgd") {
    refuse(o.betas.has_value(), "--betas", "adam and adamw");
    refuse(o.eps.has_value(), "--eps", "adam, adamw, rmsprop and adagrad");
    const double momentum = o.momentum.value_or(0.9);
    if (o.nesterov && !(momentum > 0)) {
      throw UsageError("--nesterov needs --momentum > 0, got " + std::to_string(momentum));
    }
    return std::make_unique<optim::SGD>(
        std::move(params),
        optim::SGDOptions{
            .lr = lr, .momentum = momentum, .weight_decay = wd, .nesterov = o.nesterov});
  }
  refuse(o.nesterov, "--nesterov", "sgd");
  if (name == "adam" || name == "adamw") {
    refuse(o.momentum.has_value(), "--momentum", "sgd and rmsprop");
    const auto betas = o.betas ? parse_betas(*o.betas) : std::array<double, 2>{0.9, 0.999};
    const double eps = o.eps.value_or(1e-8);
    if (name == "adam") {
      return std::make_unique<optim::Adam>(
          std::move(params),
          optim::AdamOptions{.lr = lr, .betas = betas, .eps = eps, .weight_decay = wd});
    }
    return std::make_unique<optim::AdamW>(
        std::move(params),
        optim::AdamWOptions{.lr = lr, .betas = betas, .eps = eps, .weight_decay = wd});
  }
  refuse(o.betas.has_value(), "--betas", "adam and adamw");
  if (name == "rmsprop") {
    return std::make_unique<optim::RMSprop>(
        std::move(params), optim::RMSpropOptions{.lr = lr,
                                                 .eps = o.eps.value_or(1e-8),
                                                 .weight_decay = wd,
                                                 .momentum = o.momentum.value_or(0.0)});
  }
  if (name == "adagrad") {
    refuse(o.momentum.has_value(), "--momentum", "sgd and rmsprop");
    return std::make_unique<optim::Adagrad>(
        std::move(params),
        optim::AdagradOptions{.lr = lr, .weight_decay = wd, .eps = o.eps.value_or(1e-10)});
  }
  throw UsageError("unknown optimizer '" + name +
                   "' (choose from sgd, adam, adamw, rmsprop, adagrad)");
}

std::unique_ptr<optim::LRScheduler> make_scheduler(const OptimOptions& o,
                                                   optim::Optimizer& optimizer, int epochs) {
  if (o.schedule == "constant") return nullptr;
  if (o.schedule == "cosine") {
    return std::make_unique<optim::CosineAnnealingLR>(
        optimizer, optim::CosineAnnealingLROptions{.T_max = std::max(1, epochs)});
  }
  if (o.schedule == "step") {
    // Three plateaus: the lr drops tenfold after each third of the epochs.
    return std::make_unique<optim::StepLR>(
        optimizer, optim::StepLROptions{.step_size = std::max(1, epochs / 3), .gamma = 0.1});
  }
  throw UsageError("unknown --lr-schedule '" + o.schedule +
                   "' (choose from cosine, step, constant)");
}

std::string describe_optimizer(const optim::Optimizer& opt) {
  std::string out = opt.name() + "(";
  bool first = true;
  for (const auto& n : opt.option_names()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", opt.option(n));
    out += (first ? "" : ", ") + n + "=" + buf;
    first = false;
  }
  return out + ")";
}

}  // namespace xg::cli

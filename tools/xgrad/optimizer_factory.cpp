#include "tools/xgrad/optimizer_factory.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "xgrad/optim/adagrad.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/rmsprop.hpp"
#include "xgrad/optim/sgd.hpp"

namespace xg::cli {

const std::vector<OptimizerDefaults>& optimizer_defaults() {
  static const std::vector<OptimizerDefaults> table = [] {
    const optim::SGDOptions sgd;
    const optim::RMSpropOptions rmsprop;
    const optim::AdagradOptions adagrad;
    // Adam and AdamW: the same struct template, with their own defaults.
    auto adam_like = [](const char* name, const auto& o) {
      return OptimizerDefaults{
          .name = name, .lr = o.lr, .weight_decay = o.weight_decay, .eps = o.eps, .betas = o.betas};
    };
    return std::vector<OptimizerDefaults>{
        {.name = "sgd",
         .lr = kSgdDefaultLr,
         .weight_decay = sgd.weight_decay,
         .momentum = kSgdDefaultMomentum},
        adam_like("adam", optim::AdamOptions{}),
        adam_like("adamw", optim::AdamWOptions{}),
        {.name = "rmsprop",
         .lr = rmsprop.lr,
         .weight_decay = rmsprop.weight_decay,
         .momentum = rmsprop.momentum,
         .eps = rmsprop.eps},
        {.name = "adagrad",
         .lr = adagrad.lr,
         .weight_decay = adagrad.weight_decay,
         .eps = adagrad.eps},
    };
  }();
  return table;
}

std::vector<std::string> optimizer_names() {
  std::vector<std::string> names;
  for (const auto& d : optimizer_defaults()) names.push_back(d.name);
  return names;
}

namespace {

// Shortest form that reads back as the same double: 0.001, 1e-08, 0.9.
std::string number(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

const OptimizerDefaults& defaults_of(const std::string& name) {
  for (const auto& d : optimizer_defaults()) {
    if (d.name == name) return d;
  }
  std::string list;
  for (const auto& n : optimizer_names()) list += (list.empty() ? "" : ", ") + n;
  throw UsageError("unknown optimizer '" + name + "' (choose from " + list + ")");
}

}  // namespace

std::string defaults_help(const std::string& flag) {
  std::string out;
  for (const auto& d : optimizer_defaults()) {
    std::string value;
    if (flag == "lr") value = number(d.lr);
    if (flag == "weight-decay") value = number(d.weight_decay);
    if (flag == "momentum" && d.momentum) value = number(*d.momentum);
    if (flag == "eps" && d.eps) value = number(*d.eps);
    if (flag == "betas" && d.betas) value = number((*d.betas)[0]) + "," + number((*d.betas)[1]);
    if (!value.empty()) out += (out.empty() ? "" : "; ") + d.name + " " + value;
  }
  return out;
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
  const OptimizerDefaults& d = defaults_of(name);
  const double lr = o.lr.value_or(d.lr);
  const double wd = o.weight_decay.value_or(d.weight_decay);
  // Flags the optimizer does not have; the defaults table says which apply.
  if (!d.betas) refuse(o.betas.has_value(), "--betas", "adam and adamw");
  if (!d.eps) refuse(o.eps.has_value(), "--eps", "adam, adamw, rmsprop and adagrad");
  if (!d.momentum) refuse(o.momentum.has_value(), "--momentum", "sgd and rmsprop");
  if (name != "sgd") refuse(o.nesterov, "--nesterov", "sgd");
  if (name == "sgd") {
    const double momentum = o.momentum.value_or(*d.momentum);
    if (o.nesterov && !(momentum > 0)) {
      throw UsageError("--nesterov needs --momentum > 0, got " + std::to_string(momentum));
    }
    return std::make_unique<optim::SGD>(
        std::move(params),
        optim::SGDOptions{
            .lr = lr, .momentum = momentum, .weight_decay = wd, .nesterov = o.nesterov});
  }
  if (name == "adam" || name == "adamw") {
    // AdamOptions and AdamWOptions are one struct template: one initializer for both.
    auto make = [&]<class Opt, class Options>() -> std::unique_ptr<optim::Optimizer> {
      return std::make_unique<Opt>(std::move(params),
                                   Options{.lr = lr,
                                           .betas = o.betas ? parse_betas(*o.betas) : *d.betas,
                                           .eps = o.eps.value_or(*d.eps),
                                           .weight_decay = wd});
    };
    return name == "adam" ? make.template operator()<optim::Adam, optim::AdamOptions>()
                          : make.template operator()<optim::AdamW, optim::AdamWOptions>();
  }
  if (name == "rmsprop") {
    return std::make_unique<optim::RMSprop>(
        std::move(params), optim::RMSpropOptions{.lr = lr,
                                                 .eps = o.eps.value_or(*d.eps),
                                                 .weight_decay = wd,
                                                 .momentum = o.momentum.value_or(*d.momentum)});
  }
  return std::make_unique<optim::Adagrad>(
      std::move(params),
      optim::AdagradOptions{.lr = lr, .weight_decay = wd, .eps = o.eps.value_or(*d.eps)});
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

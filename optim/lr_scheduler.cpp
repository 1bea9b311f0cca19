// Learning-rate schedulers. The formulas follow torch/optim/lr_scheduler.py of PyTorch 1.13
// operation by operation (same order of floating-point operations), so the sequences are
// bit-identical to torch's, not just close: tests compare them to torch's get_last_lr().
#include "optim/lr_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <utility>

#include "optim/optimizer.hpp"

namespace xg::optim {

namespace {

// ---- the optimizer interface the schedulers use ------------------------------------------
std::size_t optimizer_groups(const Optimizer& opt) { return opt.num_param_groups(); }
double optimizer_lr(const Optimizer& opt, std::size_t group) { return opt.lr(group); }
void optimizer_set_lr(Optimizer& opt, std::size_t group, double lr) { opt.set_lr(lr, group); }

// The option OneCycleLR cycles: Adam's/AdamW's beta1, else SGD's/RMSprop's momentum, the
// same choice as torch ('betas' in optimizer.defaults first). "" if there is none.
std::string momentum_option(const Optimizer& opt) {
  if (opt.has_option("beta1")) return "beta1";
  if (opt.has_option("momentum")) return "momentum";
  return "";
}

constexpr double kPi = std::numbers::pi;  // == Python's math.pi

std::string num_str(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

[[noreturn]] void bad(const std::string& who, const std::string& what) {
  throw ValueError(who + ": " + what);
}

void require_positive(const std::string& who, const char* option, double v) {
  if (!(v > 0.0) || !std::isfinite(v)) {
    bad(who, std::string(option) + " must be positive and finite, got " + num_str(v));
  }
}

void require_positive(const std::string& who, const char* option, std::int64_t v) {
  if (v <= 0) bad(who, std::string(option) + " must be positive, got " + std::to_string(v));
}

void require_non_negative(const std::string& who, const char* option, double v) {
  if (!(v >= 0.0) || !std::isfinite(v)) {
    bad(who, std::string(option) + " must be >= 0 and finite, got " + num_str(v));
  }
}

void require_non_negative(const std::string& who, const char* option, std::int64_t v) {
  if (v < 0) bad(who, std::string(option) + " must be >= 0, got " + std::to_string(v));
}

// One value for every group, or one per group (PyTorch's "float or list" options).
std::vector<double> per_group(const std::string& who, const char* option,
                              const std::vector<double>& values, std::size_t groups) {
  if (values.size() == 1) return std::vector<double>(groups, values[0]);
  if (values.size() != groups) {
    bad(who, std::string(option) + " needs one value or one per param group (" +
                 std::to_string(groups) + "), got " + std::to_string(values.size()));
  }
  return values;
}

std::vector<double> current_lrs(const Optimizer& opt) {
  std::vector<double> lrs(optimizer_groups(opt));
  for (std::size_t i = 0; i < lrs.size(); ++i) lrs[i] = optimizer_lr(opt, i);
  return lrs;
}

// ---- state dict helpers ---------------------------------------------------------------------
Tensor i64_scalar(std::int64_t v) { return tensor_i64({v}, {}); }
Tensor f64_scalar(double v) { return scalar_tensor(v, {.dtype = Dtype::f64}); }
Tensor f64_vector(const std::vector<double>& v) {
  return tensor(v, {static_cast<std::int64_t>(v.size())}, {.dtype = Dtype::f64});
}

// All checks happen before anything is assigned, so a failed load changes nothing.
void check_keys(const std::string& who, const StateDict& state,
                const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    if (!state.count(k)) bad(who, "load_state_dict: missing key \"" + k + "\"");
    if (!state.at(k).defined()) bad(who, "load_state_dict: key \"" + k + "\" is undefined");
  }
  for (const auto& [k, v] : state) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      bad(who, "load_state_dict: unexpected key \"" + k + "\"");
    }
  }
}

std::int64_t read_count(const std::string& who, const StateDict& state, const std::string& key) {
  const Tensor& t = state.at(key);
  if (t.numel() != 1) {
    bad(who,
        "load_state_dict: \"" + key + "\" must hold one value, got shape " + shape_str(t.shape()));
  }
  return t.item<std::int64_t>();
}

double read_scalar(const std::string& who, const StateDict& state, const std::string& key) {
  const Tensor& t = state.at(key);
  if (t.numel() != 1) {
    bad(who,
        "load_state_dict: \"" + key + "\" must hold one value, got shape " + shape_str(t.shape()));
  }
  return t.item();
}

std::vector<double> read_groups(const std::string& who, const StateDict& state,
                                const std::string& key, std::size_t groups) {
  const Tensor& t = state.at(key);
  if (t.dim() != 1 || static_cast<std::size_t>(t.numel()) != groups) {
    bad(who, "load_state_dict: \"" + key + "\" has shape " + shape_str(t.shape()) +
                 " but the optimizer has " + std::to_string(groups) + " param groups");
  }
  return t.to_vector<double>();
}

}  // namespace

// =============================================================================================
// LRScheduler

LRScheduler::LRScheduler(Optimizer& optimizer, std::string name)
    : optimizer_(&optimizer), name_(std::move(name)) {
  if (optimizer_groups(optimizer) == 0) bad(name_, "the optimizer has no param groups");
  base_lrs_ = current_lrs(optimizer);
}

void LRScheduler::initial_step() {
  last_epoch_ = -1;
  step();
}

std::size_t LRScheduler::num_groups() const { return optimizer_groups(*optimizer_); }
double LRScheduler::group_lr(std::size_t group) const { return optimizer_lr(*optimizer_, group); }

void LRScheduler::step() {
  if (num_groups() != base_lrs_.size()) {
    bad(name_, "the optimizer now has " + std::to_string(num_groups()) +
                   " param groups but the scheduler was built for " +
                   std::to_string(base_lrs_.size()));
  }
  ++last_epoch_;
  std::vector<double> lrs;
  try {
    lrs = compute_lr();
  } catch (...) {
    --last_epoch_;  // a refused step (OneCycleLR past its end) leaves the scheduler as it was
    throw;
  }
  for (std::size_t i = 0; i < lrs.size(); ++i) optimizer_set_lr(*optimizer_, i, lrs[i]);
  last_lr_ = current_lrs(*optimizer_);
}

StateDict LRScheduler::state_dict() const {
  return {{"last_epoch", i64_scalar(last_epoch_)},
          {"base_lrs", f64_vector(base_lrs_)},
          {"last_lr", f64_vector(last_lr_)}};
}

void LRScheduler::load_state_dict(const StateDict& state) {
  check_keys(name_, state, {"last_epoch", "base_lrs", "last_lr"});
  const std::size_t groups = num_groups();
  const std::int64_t last_epoch = read_count(name_, state, "last_epoch");
  auto base_lrs = read_groups(name_, state, "base_lrs", groups);
  auto last_lr = read_groups(name_, state, "last_lr", groups);
  if (last_epoch < 0) {
    bad(name_, "load_state_dict: last_epoch must be >= 0, got " + std::to_string(last_epoch));
  }
  last_epoch_ = last_epoch;
  base_lrs_ = std::move(base_lrs);
  last_lr_ = std::move(last_lr);
}

// =============================================================================================
// StepLR

StepLR::StepLR(Optimizer& optimizer, StepLROptions options)
    : LRScheduler(optimizer, "StepLR"), options_(options) {
  require_positive(name(), "step_size", options_.step_size);
  require_positive(name(), "gamma", options_.gamma);
  initial_step();
}

std::vector<double> StepLR::compute_lr() {
  std::vector<double> lrs(num_groups());
  const bool decay = last_epoch() != 0 && last_epoch() % options_.step_size == 0;
  for (std::size_t i = 0; i < lrs.size(); ++i) {
    lrs[i] = decay ? group_lr(i) * options_.gamma : group_lr(i);
  }
  return lrs;
}

// =============================================================================================
// MultiStepLR

MultiStepLR::MultiStepLR(Optimizer& optimizer, MultiStepLROptions options)
    : LRScheduler(optimizer, "MultiStepLR"), options_(std::move(options)) {
  require_positive(name(), "gamma", options_.gamma);
  for (const std::int64_t m : options_.milestones) {
    require_non_negative(name(), "milestones", m);
    ++counts_[m];
  }
  initial_step();
}

std::vector<double> MultiStepLR::compute_lr() {
  std::vector<double> lrs(num_groups());
  const auto it = counts_.find(last_epoch());
  for (std::size_t i = 0; i < lrs.size(); ++i) {
    // torch: group['lr'] * gamma ** count; std::pow with an integer exponent matches
    // Python's float ** int for the small counts milestones have.
    lrs[i] = it == counts_.end() ? group_lr(i) : group_lr(i) * std::pow(options_.gamma, it->second);
  }
  return lrs;
}

// =============================================================================================
// ExponentialLR

ExponentialLR::ExponentialLR(Optimizer& optimizer, ExponentialLROptions options)
    : LRScheduler(optimizer, "ExponentialLR"), options_(options) {
  require_positive(name(), "gamma", options_.gamma);
  initial_step();
}

std::vector<double> ExponentialLR::compute_lr() {
  std::vector<double> lrs(num_groups());
  for (std::size_t i = 0; i < lrs.size(); ++i) {
    lrs[i] = last_epoch() == 0 ? group_lr(i) : group_lr(i) * options_.gamma;
  }
  return lrs;
}

// =============================================================================================
// CosineAnnealingLR

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, CosineAnnealingLROptions options)
    : LRScheduler(optimizer, "CosineAnnealingLR"), options_(options) {
  require_positive(name(), "T_max", options_.T_max);
  require_non_negative(name(), "eta_min", options_.eta_min);
  initial_step();
}

std::vector<double> CosineAnnealingLR::compute_lr() {
  const std::int64_t e = last_epoch();
  const std::int64_t t_max = options_.T_max;
  const double t = static_cast<double>(t_max);
  const double eta_min = options_.eta_min;
  std::vector<double> lrs(num_groups());
  for (std::size_t i = 0; i < lrs.size(); ++i) {
    const double lr = group_lr(i);
    if (e == 0) {
      lrs[i] = lr;
    } else if ((e - 1 - t_max) % (2 * t_max) == 0) {
      // At the bottom of the cosine the recursive ratio below divides by zero; torch adds
      // the first step of the rise explicitly. (A zero remainder is sign-independent, so
      // C++'s % agrees with Python's here.)
      lrs[i] = lr + (base_lrs_[i] - eta_min) * (1.0 - std::cos(kPi / t)) / 2.0;
    } else {
      const double ed = static_cast<double>(e);
      lrs[i] =
          (1.0 + std::cos(kPi * ed / t)) / (1.0 + std::cos(kPi * (ed - 1.0) / t)) * (lr - eta_min) +
          eta_min;
    }
  }
  return lrs;
}

// =============================================================================================
// LinearLR

LinearLR::LinearLR(Optimizer& optimizer, LinearLROptions options)
    : LRScheduler(optimizer, "LinearLR"), options_(options) {
  // start_factor 0 would make torch's recursive update divide by zero at epoch 1.
  if (!(options_.start_factor > 0.0 && options_.start_factor <= 1.0)) {
    bad(name(), "start_factor must be in (0, 1], got " + num_str(options_.start_factor));
  }
  if (!(options_.end_factor >= 0.0 && options_.end_factor <= 1.0)) {
    bad(name(), "end_factor must be in [0, 1], got " + num_str(options_.end_factor));
  }
  require_positive(name(), "total_iters", options_.total_iters);
  initial_step();
}

std::vector<double> LinearLR::compute_lr() {
  const std::int64_t e = last_epoch();
  const double start = options_.start_factor;
  const double end = options_.end_factor;
  std::vector<double> lrs(num_groups());
  for (std::size_t i = 0; i < lrs.size(); ++i) {
    const double lr = group_lr(i);
    if (e == 0) {
      lrs[i] = lr * start;
    } else if (e > options_.total_iters) {
      lrs[i] = lr;
    } else {
      lrs[i] = lr * (1.0 + (end - start) / (static_cast<double>(options_.total_iters) * start +
                                            static_cast<double>(e - 1) * (end - start)));
    }
  }
  return lrs;
}

// =============================================================================================
// OneCycleLR

namespace {
enum LrIndex { kInitialLr = 0, kMaxLr = 1, kMinLr = 2 };
enum MomentumIndex { kMaxMomentum = 0, kBaseMomentum = 1 };
}  // namespace

OneCycleLR::OneCycleLR(Optimizer& optimizer, OneCycleLROptions options)
    : LRScheduler(optimizer, "OneCycleLR"), options_(std::move(options)) {
  const std::string& who = name();
  const std::size_t groups = num_groups();
  if (options_.total_steps) {
    require_positive(who, "total_steps", *options_.total_steps);
    total_steps_ = *options_.total_steps;
  } else if (options_.epochs && options_.steps_per_epoch) {
    require_positive(who, "epochs", *options_.epochs);
    require_positive(who, "steps_per_epoch", *options_.steps_per_epoch);
    total_steps_ = *options_.epochs * *options_.steps_per_epoch;
  } else {
    bad(who, "give total_steps, or both epochs and steps_per_epoch");
  }
  if (!(options_.pct_start >= 0.0 && options_.pct_start <= 1.0)) {
    bad(who, "pct_start must be in [0, 1], got " + num_str(options_.pct_start));
  }
  if (options_.anneal_strategy == "cos") {
    cosine_ = true;
  } else if (options_.anneal_strategy == "linear") {
    cosine_ = false;
  } else {
    bad(who,
        "anneal_strategy must be \"cos\" or \"linear\", got \"" + options_.anneal_strategy + "\"");
  }
  require_positive(who, "div_factor", options_.div_factor);
  require_positive(who, "final_div_factor", options_.final_div_factor);
  max_lr_ = per_group(who, "max_lr", options_.max_lr, groups);
  for (const double v : max_lr_) require_positive(who, "max_lr", v);

  // Same expressions as torch's _schedule_phases (float(pct_start * total_steps) - 1, ...).
  const double pct = options_.pct_start;
  const double total = static_cast<double>(total_steps_);
  if (options_.three_phase) {
    phases_ = {{pct * total - 1.0, kInitialLr, kMaxLr, kMaxMomentum, kBaseMomentum},
               {2.0 * pct * total - 2.0, kMaxLr, kInitialLr, kBaseMomentum, kMaxMomentum},
               {total - 1.0, kInitialLr, kMinLr, kMaxMomentum, kMaxMomentum}};
  } else {
    phases_ = {{pct * total - 1.0, kInitialLr, kMaxLr, kMaxMomentum, kBaseMomentum},
               {total - 1.0, kMaxLr, kMinLr, kBaseMomentum, kMaxMomentum}};
  }

  initial_lr_.resize(groups);
  min_lr_.resize(groups);
  for (std::size_t i = 0; i < groups; ++i) {
    initial_lr_[i] = max_lr_[i] / options_.div_factor;
    min_lr_[i] = initial_lr_[i] / options_.final_div_factor;
  }
  base_lrs_ = initial_lr_;

  if (options_.cycle_momentum) {
    momentum_name_ = momentum_option(optimizer);
    if (momentum_name_.empty()) {
      bad(who,
          "cycle_momentum needs an optimizer with a \"momentum\" (SGD, RMSprop) or "
          "\"beta1\" (Adam, AdamW) option; " +
              optimizer.name() + " has neither");
    }
    max_momentum_ = per_group(who, "max_momentum", options_.max_momentum, groups);
    base_momentum_ = per_group(who, "base_momentum", options_.base_momentum, groups);
    for (std::size_t i = 0; i < groups; ++i) {
      require_non_negative(who, "base_momentum", base_momentum_[i]);
      if (!(max_momentum_[i] < 1.0)) {
        bad(who, "max_momentum must be < 1, got " + num_str(max_momentum_[i]));
      }
    }
  }
  // torch first writes max_momentum into the groups, but its initial step overwrites it at
  // once; writing only in compute_lr gives the same values and leaves the optimizer untouched
  // when the initial step throws.
  initial_step();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (cosine_) {
    const double cos_out = std::cos(kPi * pct) + 1.0;
    return end + (start - end) / 2.0 * cos_out;
  }
  return (end - start) * pct + start;
}

std::vector<double> OneCycleLR::compute_lr() {
  const std::int64_t step_num = last_epoch();
  if (step_num > total_steps_) {
    bad(name(), "tried to step " + std::to_string(step_num + 1) + " times; total_steps is " +
                    std::to_string(total_steps_));
  }
  // The phase and the fraction of it done are the same for every group.
  const double s = static_cast<double>(step_num);
  double start_step = 0.0;
  const Phase* phase = nullptr;
  for (std::size_t p = 0; p < phases_.size(); ++p) {
    if (s <= phases_[p].end_step || p + 1 == phases_.size()) {
      phase = &phases_[p];
      break;
    }
    start_step = phases_[p].end_step;
  }
  if (phase->end_step == start_step) {  // torch: ZeroDivisionError
    bad(name(), "a phase of the cycle has zero length at step " + std::to_string(step_num) +
                    " (total_steps " + std::to_string(total_steps_) + ", pct_start " +
                    num_str(options_.pct_start) + ")");
  }
  double pct = (s - start_step) / (phase->end_step - start_step);
  // Note [one step past the cycle]: torch allows a step at step_num == total_steps (the
  // usual loop steps the scheduler after the last batch too) and extrapolates the last phase
  // to pct > 1. The cosine comes back up a little, which is harmless and kept; the linear
  // ramp goes below min_lr, normally below zero, which the optimizers here refuse. Linear
  // annealing therefore stops at the end of the phase (lr = min_lr, momentum = max).
  if (!cosine_) pct = std::min(pct, 1.0);

  const std::size_t groups = num_groups();
  std::vector<double> lrs(groups);
  for (std::size_t i = 0; i < groups; ++i) {
    const double lr_points[3] = {initial_lr_[i], max_lr_[i], min_lr_[i]};
    lrs[i] = anneal(lr_points[phase->start_lr], lr_points[phase->end_lr], pct);
  }
  if (options_.cycle_momentum) {
    for (std::size_t i = 0; i < groups; ++i) {
      const double m_points[2] = {max_momentum_[i], base_momentum_[i]};
      optimizer().set_option(
          momentum_name_,
          anneal(m_points[phase->start_momentum], m_points[phase->end_momentum], pct), i);
    }
  }
  return lrs;
}

// =============================================================================================
// ReduceLROnPlateau

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(&optimizer), options_(std::move(options)) {
  const std::string who = "ReduceLROnPlateau";
  const std::size_t groups = optimizer_groups(optimizer);
  if (groups == 0) bad(who, "the optimizer has no param groups");
  if (options_.mode == "min") {
    maximize_ = false;
  } else if (options_.mode == "max") {
    maximize_ = true;
  } else {
    bad(who, "mode must be \"min\" or \"max\", got \"" + options_.mode + "\"");
  }
  if (options_.threshold_mode == "rel") {
    relative_ = true;
  } else if (options_.threshold_mode == "abs") {
    relative_ = false;
  } else {
    bad(who, "threshold_mode must be \"rel\" or \"abs\", got \"" + options_.threshold_mode + "\"");
  }
  if (!(options_.factor >= 0.0 && options_.factor < 1.0)) {
    bad(who, "factor must be in [0, 1), got " + num_str(options_.factor));
  }
  require_non_negative(who, "patience", options_.patience);
  require_non_negative(who, "threshold", options_.threshold);
  require_non_negative(who, "cooldown", options_.cooldown);
  require_non_negative(who, "eps", options_.eps);
  min_lrs_ = per_group(who, "min_lr", options_.min_lr, groups);
  for (const double v : min_lrs_) require_non_negative(who, "min_lr", v);

  best_ = maximize_ ? -INFINITY : INFINITY;  // torch's mode_worse
  last_lr_ = current_lrs(optimizer);
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  const double th = options_.threshold;
  if (!maximize_) return relative_ ? a < best * (1.0 - th) : a < best - th;
  return relative_ ? a > best * (th + 1.0) : a > best + th;
}

void ReduceLROnPlateau::step(const Tensor& metric) {
  if (!metric.defined()) bad("ReduceLROnPlateau", "step: the metric tensor is undefined");
  step(metric.item());
}

void ReduceLROnPlateau::step(double metric) {
  const std::size_t groups = optimizer_groups(*optimizer_);
  if (groups != min_lrs_.size()) {
    bad("ReduceLROnPlateau", "the optimizer now has " + std::to_string(groups) +
                                 " param groups but the scheduler was built for " +
                                 std::to_string(min_lrs_.size()));
  }
  ++last_epoch_;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs during cooldown do not count
  }
  if (num_bad_epochs_ > options_.patience) {
    for (std::size_t i = 0; i < groups; ++i) {
      const double old_lr = optimizer_lr(*optimizer_, i);
      const double new_lr = std::max(old_lr * options_.factor, min_lrs_[i]);
      if (old_lr - new_lr > options_.eps) optimizer_set_lr(*optimizer_, i, new_lr);
    }
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
  last_lr_ = current_lrs(*optimizer_);
}

StateDict ReduceLROnPlateau::state_dict() const {
  return {{"last_epoch", i64_scalar(last_epoch_)},
          {"best", f64_scalar(best_)},
          {"num_bad_epochs", i64_scalar(num_bad_epochs_)},
          {"cooldown_counter", i64_scalar(cooldown_counter_)},
          {"last_lr", f64_vector(last_lr_)}};
}

void ReduceLROnPlateau::load_state_dict(const StateDict& state) {
  const std::string who = "ReduceLROnPlateau";
  check_keys(who, state, {"last_epoch", "best", "num_bad_epochs", "cooldown_counter", "last_lr"});
  const std::int64_t last_epoch = read_count(who, state, "last_epoch");
  const double best = read_scalar(who, state, "best");
  const std::int64_t bad_epochs = read_count(who, state, "num_bad_epochs");
  const std::int64_t cooldown = read_count(who, state, "cooldown_counter");
  auto last_lr = read_groups(who, state, "last_lr", optimizer_groups(*optimizer_));
  for (const auto& [key, v] : {std::pair{"last_epoch", last_epoch},
                               {"num_bad_epochs", bad_epochs},
                               {"cooldown_counter", cooldown}}) {
    if (v < 0) {
      bad(who, std::string("load_state_dict: ") + key + " must be >= 0, got " + std::to_string(v));
    }
  }
  last_epoch_ = last_epoch;
  best_ = best;
  num_bad_epochs_ = bad_epochs;
  cooldown_counter_ = cooldown;
  last_lr_ = std::move(last_lr);
}

}  // namespace xg::optim

// Learning-rate schedulers: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR,
// OneCycleLR and ReduceLROnPlateau, with PyTorch 1.13's formulas and call pattern:
//
//   xg::optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
//   xg::optim::StepLR sched(opt, {.step_size = 30, .gamma = 0.1});
//   for (int epoch = 0; epoch < 100; ++epoch) {
//     train_one_epoch(opt);   // opt.step() inside
//     sched.step();           // after the optimizer steps, like PyTorch >= 1.1
//   }
//
// Contract shared by every scheduler:
// - A scheduler holds a REFERENCE to its optimizer: the optimizer must outlive it. It reads
//   and writes the learning rate of every param group through the optimizer's per-group
//   lr accessors; the number of groups must not change while the scheduler is in use.
// - Constructing a scheduler performs PyTorch's "initial step": last_epoch() becomes 0 and
//   the lrs are set to their epoch-0 values (e.g. LinearLR multiplies by start_factor,
//   OneCycleLR sets max_lr / div_factor). base_lrs() are the group lrs at construction
//   (OneCycleLR: max_lr / div_factor). (PyTorch keeps an 'initial_lr' in each param group
//   and a second scheduler on the same optimizer starts from it; the optimizers here have no
//   such slot, so a second scheduler starts from the lr it finds. Only CosineAnnealingLR
//   reads base_lrs() after construction, at the bottom of its cosine.)
// - step() advances last_epoch() by one and sets the new lrs. Like PyTorch, StepLR,
//   MultiStepLR, ExponentialLR, CosineAnnealingLR and LinearLR use the recursive
//   ("chainable") form: each step derives the new lr from the group's CURRENT lr, so the
//   values are bit-identical to torch's and several schedulers can be applied to one
//   optimizer one after another. OneCycleLR computes its lrs in closed form.
// - get_last_lr() is the lr of every group after the last step (one value per group).
// - state_dict() / load_state_dict() save and restore the scheduler's progress as a
//   name -> Tensor map (0-D i64 counters, 1-D f64 per-group values) that the safetensors
//   functions can write next to the optimizer's state. Hyperparameters (gamma, T_max, ...)
//   are not saved: they come from the constructor. The optimizer's lrs are part of the
//   OPTIMIZER's state; resume like PyTorch: build the optimizer and the scheduler, then
//   load the optimizer's state, then the scheduler's.
// - Bad arguments throw xg::ValueError naming the scheduler and the option, e.g.
//   "StepLR: step_size must be positive, got 0".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "xgrad/autograd/tensor.hpp"
#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

// The base of the epoch-driven schedulers (all but ReduceLROnPlateau).
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;

  // Advances last_epoch() by one and sets every group's lr to the schedule's next value.
  void step();
  // The lr of every param group after the last step (or after construction).
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  // The number of step() calls since construction (0 right after construction).
  std::int64_t last_epoch() const { return last_epoch_; }
  // The group lrs the schedule starts from.
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  // "StepLR", "OneCycleLR", ...: the name error messages start with.
  const std::string& name() const { return name_; }

  // {"last_epoch": 0-D i64, "base_lrs": (groups,) f64, "last_lr": (groups,) f64}.
  StateDict state_dict() const;
  // Restores what state_dict() saved. A missing or unexpected key, or a per-group entry
  // whose length differs from the optimizer's number of groups, throws ValueError naming
  // the key; nothing changes then. Does not touch the optimizer's lrs (see above).
  void load_state_dict(const StateDict& state);

 protected:
  LRScheduler(Optimizer& optimizer, std::string name);
  // PyTorch's _initial_step: derived constructors call it last, once their options are set.
  void initial_step();
  // The lrs for last_epoch() (already advanced), from the groups' current lrs (chainable).
  virtual std::vector<double> compute_lr() = 0;

  std::size_t num_groups() const;
  double group_lr(std::size_t group) const;
  Optimizer& optimizer() const { return *optimizer_; }

  std::vector<double> base_lrs_;

 private:
  Optimizer* optimizer_;
  std::string name_;
  std::int64_t last_epoch_ = -1;
  std::vector<double> last_lr_;
};

// ---- StepLR: lr *= gamma every step_size epochs. -------------------------------------------
struct StepLROptions {
  std::int64_t step_size = 0;  // required, > 0
  double gamma = 0.1;          // > 0
};

class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, StepLROptions options);
  const StepLROptions& options() const { return options_; }

 protected:
  std::vector<double> compute_lr() override;

 private:
  StepLROptions options_;
};

// ---- MultiStepLR: lr *= gamma at each milestone epoch. -------------------------------------
// A milestone listed k times multiplies by gamma^k (PyTorch counts them). Order is free.
struct MultiStepLROptions {
  std::vector<std::int64_t> milestones = {};  // epochs, >= 0
  double gamma = 0.1;                         // > 0
};

class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, MultiStepLROptions options);
  const MultiStepLROptions& options() const { return options_; }

 protected:
  std::vector<double> compute_lr() override;

 private:
  MultiStepLROptions options_;
  std::map<std::int64_t, int> counts_;  // milestone -> how often listed
};

// ---- ExponentialLR: lr *= gamma every epoch. -----------------------------------------------
struct ExponentialLROptions {
  double gamma = 0.0;  // required, > 0
};

class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, ExponentialLROptions options);
  const ExponentialLROptions& options() const { return options_; }

 protected:
  std::vector<double> compute_lr() override;

 private:
  ExponentialLROptions options_;
};

// ---- CosineAnnealingLR: eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2. -----
// Past T_max the lr rises again along the cosine (period 2 * T_max), as in PyTorch.
struct CosineAnnealingLROptions {
  std::int64_t T_max = 0;  // required, > 0
  double eta_min = 0.0;    // >= 0
};

class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, CosineAnnealingLROptions options);
  const CosineAnnealingLROptions& options() const { return options_; }

 protected:
  std::vector<double> compute_lr() override;

 private:
  CosineAnnealingLROptions options_;
};

// ---- LinearLR: the factor on base_lr moves linearly from start_factor to end_factor over
// total_iters epochs, then stays (warm-up with the defaults). ---------------------------------
struct LinearLROptions {
  double start_factor = 1.0 / 3.0;  // in (0, 1]
  double end_factor = 1.0;          // in [0, 1]
  std::int64_t total_iters = 5;     // > 0
};

class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, LinearLROptions options = {});
  const LinearLROptions& options() const { return options_; }

 protected:
  std::vector<double> compute_lr() override;

 private:
  LinearLROptions options_;
};

// ---- OneCycleLR: the 1cycle policy, stepped once per BATCH. --------------------------------
// lr goes from initial_lr = max_lr / div_factor up to max_lr over pct_start of the cycle, then
// down to min_lr = initial_lr / final_div_factor (three_phase: back to initial_lr
// symmetrically, then down to min_lr). Stepping more than total_steps times throws ValueError.
// The lr of the total_steps-th step (one past the cycle) is torch's for "cos"; for "linear"
// it stays at min_lr where torch extrapolates to a negative lr that the optimizers refuse.
//
// cycle_momentum (default true, as in PyTorch): the optimizer's "beta1" option (Adam, AdamW)
// or else its "momentum" option (SGD, RMSprop) is cycled inversely to the lr, from
// max_momentum down to base_momentum and back, written with set_option() at every step. An
// optimizer with neither (Adagrad) needs cycle_momentum = false (ValueError otherwise).
struct OneCycleLROptions {
  std::vector<double> max_lr = {};  // one value for all groups, or one per group
  std::optional<std::int64_t> total_steps = std::nullopt;      // or epochs * steps_per_epoch
  std::optional<std::int64_t> epochs = std::nullopt;           //
  std::optional<std::int64_t> steps_per_epoch = std::nullopt;  //
  double pct_start = 0.3;                                      // in [0, 1]
  std::string anneal_strategy = "cos";                         // "cos" or "linear"
  bool cycle_momentum = true;
  std::vector<double> base_momentum = {0.85};  // one value, or one per group
  std::vector<double> max_momentum = {0.95};   // one value, or one per group
  double div_factor = 25.0;                    // > 0
  double final_div_factor = 1e4;               // > 0
  bool three_phase = false;
};

class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, OneCycleLROptions options);
  const OneCycleLROptions& options() const { return options_; }
  std::int64_t total_steps() const { return total_steps_; }

 protected:
  std::vector<double> compute_lr() override;

 private:
  struct Phase {
    double end_step;
    int start_lr, end_lr;              // indices into {initial, max, min}
    int start_momentum, end_momentum;  // indices into {max_momentum, base_momentum}
  };
  double anneal(double start, double end, double pct) const;

  OneCycleLROptions options_;
  std::int64_t total_steps_ = 0;
  bool cosine_ = true;
  std::vector<Phase> phases_;
  std::vector<double> initial_lr_, max_lr_, min_lr_;  // per group
  std::vector<double> max_momentum_, base_momentum_;  // per group
  std::string momentum_name_;                         // "beta1" or "momentum"
};

// ---- ReduceLROnPlateau: lr *= factor when a metric stops improving. ------------------------
// step(metric) once per epoch with the monitored value (e.g. the validation loss). A value
// is an improvement when it beats the best so far by the threshold (mode "min", threshold
// mode "rel": metric < best * (1 - threshold); "abs": metric < best - threshold; mode "max"
// mirrors it). After more than `patience` epochs without improvement every group's lr
// becomes max(lr * factor, min_lr) (unless that changes it by at most eps), and the next
// `cooldown` epochs are not counted as bad.
struct ReduceLROnPlateauOptions {
  std::string mode = "min";            // "min" or "max"
  double factor = 0.1;                 // in [0, 1)
  std::int64_t patience = 10;          // >= 0
  double threshold = 1e-4;             // >= 0
  std::string threshold_mode = "rel";  // "rel" or "abs"
  std::int64_t cooldown = 0;           // >= 0
  std::vector<double> min_lr = {0.0};  // one value for all groups, or one per group; >= 0
  double eps = 1e-8;                   // >= 0
};

class ReduceLROnPlateau {
 public:
  ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});

  void step(double metric);
  // The value of a one-element tensor (e.g. a loss); ShapeError otherwise.
  void step(const Tensor& metric);
  // The group lrs after the last step (before the first: the lrs at construction).
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  std::int64_t last_epoch() const { return last_epoch_; }
  double best() const { return best_; }
  std::int64_t num_bad_epochs() const { return num_bad_epochs_; }
  std::int64_t cooldown_counter() const { return cooldown_counter_; }
  const ReduceLROnPlateauOptions& options() const { return options_; }

  // {"last_epoch", "num_bad_epochs", "cooldown_counter": 0-D i64, "best": 0-D f64,
  //  "last_lr": (groups,) f64}. load_state_dict checks like LRScheduler::load_state_dict.
  StateDict state_dict() const;
  void load_state_dict(const StateDict& state);

 private:
  bool is_better(double a, double best) const;

  Optimizer* optimizer_;
  ReduceLROnPlateauOptions options_;
  bool maximize_ = false;
  bool relative_ = true;
  std::vector<double> min_lrs_;
  double best_ = 0.0;
  std::int64_t num_bad_epochs_ = 0;
  std::int64_t cooldown_counter_ = 0;
  std::int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace xg::optim

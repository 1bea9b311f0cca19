// Learning-rate schedulers against PyTorch 1.13: every sequence in lr_scheduler_expected.hpp
// was produced by torch.optim.lr_scheduler (the generating script is in that file's header
// comment). Also: resume equivalence (10 steps == 5 steps, save, load into fresh objects,
// 5 steps), load_state_dict checks, and bad arguments.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

#include "lr_scheduler_expected.hpp"
#include "support/check.hpp"
#include "xgrad/nn/safetensors.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/lr_scheduler.hpp"
#include "xgrad/optim/sgd.hpp"

namespace {

using namespace xg;
using namespace xg::optim;
using xg::test::check_throws;
using xg::test::lr_expected::Rows;

Tensor f64_leaf() { return zeros({1}, {.dtype = Dtype::f64, .requires_grad = true}); }

// One f64 parameter per group, one group per lr (like the generator's make_opt).
SGD make_sgd(const std::vector<double>& lrs, double momentum = 0.0) {
  std::vector<SGD::Group> groups;
  for (const double lr : lrs) {
    groups.push_back({.params = {f64_leaf()}, .options = {.lr = lr, .momentum = momentum}});
  }
  return SGD(std::move(groups));
}

Adam make_adam(const std::vector<double>& lrs) {
  std::vector<Adam::Group> groups;
  for (const double lr : lrs) groups.push_back({.params = {f64_leaf()}, .options = {.lr = lr}});
  return Adam(std::move(groups));
}

// An optimizer with nothing but an lr (no momentum, no betas), like Adagrad for OneCycleLR.
struct PlainOptions {
  double lr = 0.1;
  template <class Self, class F> static void visit(Self& o, F&& f) { f("lr", o.lr); }
};
class PlainOptimizer : public TypedOptimizer<PlainOptions> {
 public:
  explicit PlainOptimizer(std::vector<Tensor> params)
      : TypedOptimizer<PlainOptions>("Plain", {}, false) {
    init({{.params = std::move(params), .options = {}}});
  }
  void step() override {}

 protected:
  void validate(const PlainOptions&) const override {}
  bool uses_buffer(const PlainOptions&, std::size_t) const override { return false; }
};

// get_last_lr(), followed by each group's `momentum` option when one is named.
std::vector<double> row_of(const std::vector<double>& lrs, const Optimizer& opt,
                           const std::string& momentum) {
  std::vector<double> row = lrs;
  if (!momentum.empty()) {
    for (std::size_t g = 0; g < opt.num_param_groups(); ++g) row.push_back(opt.option(momentum, g));
  }
  return row;
}

// The construction row and `steps` more, as the generator's run().
template <class Scheduler>
Rows run(Optimizer& opt, Scheduler& sched, int steps, const std::string& momentum = "") {
  Rows rows{row_of(sched.get_last_lr(), opt, momentum)};
  for (int k = 0; k < steps; ++k) {
    opt.step();
    sched.step();
    rows.push_back(row_of(sched.get_last_lr(), opt, momentum));
  }
  return rows;
}

double g_largest_deviation = 0.0;  // the largest relative deviation from torch seen

// Same operations in the same order as torch: agreement to the last bit or two.
void check_rows(const Rows& got, const Rows& expected, double rtol = 1e-14) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    REQUIRE(got[k].size() == expected[k].size());
    for (std::size_t g = 0; g < got[k].size(); ++g) {
      const double e = expected[k][g];
      const double dev = std::abs(got[k][g] - e) / std::max(std::abs(e), 1e-300);
      g_largest_deviation = std::max(g_largest_deviation, dev);
      INFO("row " << k << ", column " << g << ": got " << got[k][g] << ", torch " << e);
      CHECK(dev <= rtol);
    }
  }
}

Rows plateau_rows(ReduceLROnPlateau& sched, Optimizer& opt, const std::vector<double>& metrics,
                  bool as_tensor = false) {
  Rows rows;
  for (const double m : metrics) {
    opt.step();
    if (as_tensor) {
      sched.step(scalar_tensor(m, {.dtype = Dtype::f64}));
    } else {
      sched.step(m);
    }
    rows.push_back(sched.get_last_lr());
  }
  return rows;
}

// The metric sequence M of the generator.
const std::vector<double> kMetrics = {
    1.0,  0.9,  0.8,  0.8,  0.79995, 0.8,  0.81, 0.82, 0.7,  0.7,     0.7,  0.7,  0.7, 0.69,
    0.69, 0.69, 0.69, 0.69, 0.69,    0.69, 0.5,  0.5,  0.5,  0.49999, 0.5,  0.51, 0.4, 0.4,
    0.4,  0.4,  0.4,  0.4,  0.39,    0.39, 0.38, 0.38, 0.38, 0.38,    0.38, 0.38};

}  // namespace

TEST_CASE("lr_scheduler: StepLR matches torch") {
  {
    SGD opt = make_sgd({0.1, 0.05});
    StepLR sched(opt, {.step_size = 3, .gamma = 0.5});
    check_rows(run(opt, sched, 30), xg::test::lr_expected::k_step_3_0_5);
  }
  {
    SGD opt = make_sgd({0.1, 0.05});
    StepLR sched(opt, {.step_size = 7});  // gamma defaults to 0.1
    check_rows(run(opt, sched, 30), xg::test::lr_expected::k_step_7_default);
  }
}

TEST_CASE("lr_scheduler: MultiStepLR matches torch (unsorted, repeated milestones)") {
  SGD opt = make_sgd({0.1, 0.05});
  MultiStepLR sched(opt, {.milestones = {20, 3, 8, 8}, .gamma = 0.5});
  check_rows(run(opt, sched, 30), xg::test::lr_expected::k_multistep);
}

TEST_CASE("lr_scheduler: ExponentialLR matches torch") {
  SGD opt = make_sgd({0.1, 0.05});
  ExponentialLR sched(opt, {.gamma = 0.9});
  check_rows(run(opt, sched, 30), xg::test::lr_expected::k_exp_0_9);
}

TEST_CASE("lr_scheduler: CosineAnnealingLR matches torch, past T_max too") {
  {
    SGD opt = make_sgd({0.1, 0.05});
    CosineAnnealingLR sched(opt, {.T_max = 10, .eta_min = 0.001});
    check_rows(run(opt, sched, 45), xg::test::lr_expected::k_cos_10_0_001);
  }
  {
    SGD opt = make_sgd({0.1, 0.05});
    CosineAnnealingLR sched(opt, {.T_max = 7});
    check_rows(run(opt, sched, 30), xg::test::lr_expected::k_cos_7);
  }
}

TEST_CASE("lr_scheduler: LinearLR matches torch (warm-up and decay)") {
  {
    SGD opt = make_sgd({0.1, 0.05});
    LinearLR sched(opt);
    check_rows(run(opt, sched, 30), xg::test::lr_expected::k_linear_default);
  }
  {
    SGD opt = make_sgd({0.1, 0.05});
    LinearLR sched(opt, {.start_factor = 0.5, .end_factor = 0.1, .total_iters = 10});
    check_rows(run(opt, sched, 30), xg::test::lr_expected::k_linear_0_5_0_1_10);
  }
}

TEST_CASE("lr_scheduler: OneCycleLR matches torch") {
  SUBCASE("cos, per-group max_lr, SGD momentum cycled") {
    SGD opt = make_sgd({0.1, 0.05}, 0.9);
    OneCycleLR sched(opt, {.max_lr = {1.0, 0.5}, .total_steps = 30});
    CHECK(sched.total_steps() == 30);
    CHECK(sched.base_lrs() == std::vector<double>{1.0 / 25.0, 0.5 / 25.0});
    check_rows(run(opt, sched, 30, "momentum"), xg::test::lr_expected::k_onecycle_cos_sgd_momentum);
  }
  SUBCASE("linear, pct_start, div factors, no momentum") {
    SGD opt = make_sgd({0.1, 0.05}, 0.9);
    OneCycleLR sched(opt, {.max_lr = {0.3},
                           .total_steps = 30,
                           .pct_start = 0.25,
                           .anneal_strategy = "linear",
                           .cycle_momentum = false,
                           .div_factor = 10.0,
                           .final_div_factor = 100.0});
    // Row 30 is one step past the cycle: torch extrapolates the linear ramp to a negative lr
    // (-0.013019999999999976), which SGD refuses; xgrad stays at min_lr (= row 29).
    Rows expected = xg::test::lr_expected::k_onecycle_linear_no_momentum;
    expected[30] = expected[29];
    check_rows(run(opt, sched, 30), expected);
    CHECK(opt.option("momentum", 0) == 0.9);  // left alone
  }
  SUBCASE("three phases, epochs * steps_per_epoch, Adam beta1 cycled") {
    Adam opt = make_adam({0.1, 0.05});
    OneCycleLR sched(opt, {.max_lr = {1.0, 0.5},
                           .epochs = 5,
                           .steps_per_epoch = 6,
                           .base_momentum = {0.8, 0.85},
                           .max_momentum = {0.9},
                           .three_phase = true});
    CHECK(sched.total_steps() == 30);
    check_rows(run(opt, sched, 30, "beta1"),
               xg::test::lr_expected::k_onecycle_three_phase_adam_beta1);
    CHECK(opt.option("beta2", 1) == 0.999);  // only beta1 moves
  }
}

TEST_CASE("lr_scheduler: OneCycleLR refuses to step past total_steps and stays as it was") {
  SGD opt = make_sgd({0.1});
  OneCycleLR sched(opt, {.max_lr = {1.0}, .total_steps = 4, .cycle_momentum = false});
  for (int k = 0; k < 4; ++k) sched.step();  // torch allows total_steps steps after the first
  const auto lr = sched.get_last_lr();
  check_throws<ValueError>([&] { sched.step(); },
                           {"OneCycleLR", "tried to step 6 times", "total_steps is 4"});
  CHECK(sched.last_epoch() == 4);
  CHECK(sched.get_last_lr() == lr);
  CHECK(opt.lr(0) == lr[0]);
}

TEST_CASE("lr_scheduler: ReduceLROnPlateau matches torch") {
  SUBCASE("min, rel") {
    SGD opt = make_sgd({0.1, 0.05});
    ReduceLROnPlateau sched(opt, {.factor = 0.5, .patience = 2});
    check_rows(plateau_rows(sched, opt, kMetrics), xg::test::lr_expected::k_plateau_min_rel);
    CHECK(sched.last_epoch() == 40);
    CHECK(sched.best() == 0.38);
  }
  SUBCASE("max, abs, cooldown, per-group min_lr") {
    SGD opt = make_sgd({0.1, 0.05});
    ReduceLROnPlateau sched(opt, {.mode = "max",
                                  .patience = 1,
                                  .threshold = 0.01,
                                  .threshold_mode = "abs",
                                  .cooldown = 2,
                                  .min_lr = {1e-3, 1e-4}});
    std::vector<double> negated;
    for (const double m : kMetrics) negated.push_back(-m);
    check_rows(plateau_rows(sched, opt, negated), xg::test::lr_expected::k_plateau_max_abs);
  }
  SUBCASE("defaults: patience 10, eps keeps a tiny lr") {
    SGD opt = make_sgd({0.1, 2e-8});
    ReduceLROnPlateau sched(opt);
    check_rows(plateau_rows(sched, opt, std::vector<double>(40, 1.0)),
               xg::test::lr_expected::k_plateau_defaults_eps);
  }
  SUBCASE("min, abs, patience 0, cooldown, scalar min_lr, metrics as tensors") {
    SGD opt = make_sgd({0.1, 0.05});
    ReduceLROnPlateau sched(opt, {.factor = 0.3,
                                  .patience = 0,
                                  .threshold = 0.005,
                                  .threshold_mode = "abs",
                                  .cooldown = 3,
                                  .min_lr = {0.002}});
    check_rows(plateau_rows(sched, opt, kMetrics, /*as_tensor=*/true),
               xg::test::lr_expected::k_plateau_min_abs_cooldown);
  }
}

TEST_CASE("lr_scheduler: schedulers chain on one optimizer and follow outside lr changes") {
  SGD opt = make_sgd({0.1, 0.05});
  LinearLR warmup(opt, {.start_factor = 0.25, .total_iters = 4});
  ExponentialLR decay(opt, {.gamma = 0.95});
  Rows rows{decay.get_last_lr()};
  for (int k = 0; k < 30; ++k) {
    opt.step();
    warmup.step();
    decay.step();
    if (k == 11) opt.set_lr(opt.lr(0) * 0.5, 0);
    rows.push_back({opt.lr(0), opt.lr(1)});
  }
  check_rows(rows, xg::test::lr_expected::k_chained_linear_exponential);
}

// ---- resume ------------------------------------------------------------------------------

namespace {

// Runs `total` steps straight through, and `split` steps, then saves optimizer and scheduler
// state to a safetensors file, loads both into freshly built objects and runs the rest:
// the lrs (and momentum) of every step after the split must be bit-identical.
template <class Scheduler>
void check_resume(const std::function<SGD()>& make_opt,
                  const std::function<Scheduler(Optimizer&)>& make_sched,
                  const std::function<void(Scheduler&, int)>& advance, int total = 10,
                  int split = 5) {
  auto row = [](const Scheduler& s, const Optimizer& o) {
    std::vector<double> r = s.get_last_lr();
    for (std::size_t g = 0; g < o.num_param_groups(); ++g) r.push_back(o.option("momentum", g));
    r.push_back(static_cast<double>(s.last_epoch()));
    return r;
  };
  SGD opt_a = make_opt();
  Scheduler sched_a = make_sched(opt_a);
  Rows straight;
  for (int k = 0; k < total; ++k) {
    opt_a.step();
    advance(sched_a, k);
    straight.push_back(row(sched_a, opt_a));
  }

  const auto path = std::filesystem::temp_directory_path() /
                    ("xgrad_test_lr_resume_" + std::to_string(::getpid()) + ".safetensors");
  {
    SGD opt_b = make_opt();
    Scheduler sched_b = make_sched(opt_b);
    for (int k = 0; k < split; ++k) {
      opt_b.step();
      advance(sched_b, k);
    }
    nn::TensorMap saved;
    for (const auto& [k, v] : opt_b.state_dict()) saved["optimizer." + k] = v;
    for (const auto& [k, v] : sched_b.state_dict()) saved["scheduler." + k] = v;
    nn::save_tensors(saved, path);
  }
  const nn::TensorMap loaded = nn::load_tensors(path);
  std::filesystem::remove(path);
  StateDict opt_state, sched_state;
  for (const auto& [k, v] : loaded) {
    if (k.rfind("optimizer.", 0) == 0) opt_state[k.substr(10)] = v;
    if (k.rfind("scheduler.", 0) == 0) sched_state[k.substr(10)] = v;
  }
  // PyTorch's order: build both, then load the optimizer, then the scheduler.
  SGD opt_c = make_opt();
  Scheduler sched_c = make_sched(opt_c);
  opt_c.load_state_dict(opt_state);
  sched_c.load_state_dict(sched_state);
  CHECK(sched_c.last_epoch() == static_cast<std::int64_t>(straight[split - 1].back()));
  for (int k = split; k < total; ++k) {
    opt_c.step();
    advance(sched_c, k);
    INFO("step " << k);
    CHECK(row(sched_c, opt_c) == straight[k]);  // bit-identical
  }
}

template <class S> void plain_step(S& s, int) { s.step(); }

}  // namespace

TEST_CASE("lr_scheduler: resume through state_dict and a safetensors file is bit-identical") {
  auto sgd = [] { return make_sgd({0.1, 0.05}, 0.9); };
  check_resume<StepLR>(
      sgd, [](Optimizer& o) { return StepLR(o, {.step_size = 2, .gamma = 0.5}); },
      plain_step<StepLR>);
  check_resume<MultiStepLR>(
      sgd,
      [](Optimizer& o) {
        return MultiStepLR(o, {.milestones = {3, 6, 6, 8}});
      },
      plain_step<MultiStepLR>);
  check_resume<ExponentialLR>(
      sgd, [](Optimizer& o) { return ExponentialLR(o, {.gamma = 0.7}); },
      plain_step<ExponentialLR>);
  // T_max 3: the resumed half crosses the bottom of the cosine, where base_lrs is read.
  check_resume<CosineAnnealingLR>(
      sgd, [](Optimizer& o) { return CosineAnnealingLR(o, {.T_max = 3, .eta_min = 0.01}); },
      plain_step<CosineAnnealingLR>);
  check_resume<LinearLR>(
      sgd, [](Optimizer& o) { return LinearLR(o, {.total_iters = 8}); }, plain_step<LinearLR>);
  check_resume<OneCycleLR>(
      sgd,
      [](Optimizer& o) {
        return OneCycleLR(o, {.max_lr = {1.0, 0.4}, .total_steps = 10});
      },
      plain_step<OneCycleLR>);
  check_resume<ReduceLROnPlateau>(
      sgd,
      [](Optimizer& o) {
        return ReduceLROnPlateau(o, {.factor = 0.5, .patience = 1, .cooldown = 1});
      },
      [](ReduceLROnPlateau& s, int k) { s.step(kMetrics[static_cast<std::size_t>(k) + 2]); }, 20,
      9);
}

TEST_CASE("lr_scheduler: state_dict contents and load_state_dict checks") {
  SGD opt = make_sgd({0.1, 0.05});
  StepLR sched(opt, {.step_size = 2});
  sched.step();
  sched.step();
  sched.step();
  const StateDict state = sched.state_dict();
  CHECK(state.size() == 3);
  CHECK(state.at("last_epoch").dtype() == Dtype::i64);
  CHECK(state.at("last_epoch").item<std::int64_t>() == 3);
  CHECK(state.at("base_lrs").to_vector<double>() == std::vector<double>{0.1, 0.05});
  CHECK(state.at("last_lr").to_vector<double>() == sched.get_last_lr());

  SGD other = make_sgd({0.1, 0.05});
  StepLR fresh(other, {.step_size = 2});
  StateDict missing = state;
  missing.erase("base_lrs");
  check_throws<ValueError>([&] { fresh.load_state_dict(missing); },
                           {"StepLR", "load_state_dict", "missing key \"base_lrs\""});
  StateDict extra = state;
  extra["gamma"] = scalar_tensor(0.5, {.dtype = Dtype::f64});
  check_throws<ValueError>([&] { fresh.load_state_dict(extra); },
                           {"StepLR", "unexpected key \"gamma\""});
  SGD three = make_sgd({0.1, 0.05, 0.01});
  StepLR wrong_groups(three, {.step_size = 2});
  check_throws<ValueError>([&] { wrong_groups.load_state_dict(state); },
                           {"StepLR", "\"base_lrs\"", "(2)", "3 param groups"});
  CHECK(fresh.last_epoch() == 0);  // failed loads changed nothing
  fresh.load_state_dict(state);
  CHECK(fresh.last_epoch() == 3);

  ReduceLROnPlateau plateau(opt, {.patience = 0});
  plateau.step(1.0);
  plateau.step(2.0);
  const StateDict ps = plateau.state_dict();
  CHECK(ps.at("best").item() == 1.0);
  CHECK(ps.at("num_bad_epochs").item<std::int64_t>() == 0);
  ReduceLROnPlateau plateau2(other);
  StateDict ps_missing = ps;
  ps_missing.erase("cooldown_counter");
  check_throws<ValueError>([&] { plateau2.load_state_dict(ps_missing); },
                           {"ReduceLROnPlateau", "missing key \"cooldown_counter\""});
  plateau2.load_state_dict(ps);
  CHECK(plateau2.best() == 1.0);
  CHECK(plateau2.last_epoch() == 2);
}

TEST_CASE("lr_scheduler: bad arguments throw ValueError naming the scheduler and option") {
  SGD opt = make_sgd({0.1, 0.05});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  check_throws<ValueError>([&] { StepLR(opt, {.step_size = 0}); }, {"StepLR", "step_size", "0"});
  check_throws<ValueError>([&] { StepLR(opt, {.step_size = 2, .gamma = 0.0}); },
                           {"StepLR", "gamma"});
  check_throws<ValueError>([&] { StepLR(opt, {.step_size = 2, .gamma = nan}); },
                           {"StepLR", "gamma", "nan"});
  check_throws<ValueError>([&] { MultiStepLR(opt, {.milestones = {2}, .gamma = -0.5}); },
                           {"MultiStepLR", "gamma", "-0.5"});
  check_throws<ValueError>(
      [&] {
        MultiStepLR(opt, {.milestones = {2, -1}});
      },
      {"MultiStepLR", "milestones", "-1"});
  check_throws<ValueError>([&] { ExponentialLR(opt, {}); }, {"ExponentialLR", "gamma"});
  check_throws<ValueError>([&] { CosineAnnealingLR(opt, {.T_max = 0}); },
                           {"CosineAnnealingLR", "T_max"});
  check_throws<ValueError>([&] { CosineAnnealingLR(opt, {.T_max = 5, .eta_min = -1.0}); },
                           {"CosineAnnealingLR", "eta_min"});
  check_throws<ValueError>([&] { LinearLR(opt, {.start_factor = 0.0}); },
                           {"LinearLR", "start_factor", "(0, 1]"});
  check_throws<ValueError>([&] { LinearLR(opt, {.start_factor = 1.5}); },
                           {"LinearLR", "start_factor"});
  check_throws<ValueError>([&] { LinearLR(opt, {.end_factor = 2.0}); }, {"LinearLR", "end_factor"});
  check_throws<ValueError>([&] { LinearLR(opt, {.total_iters = 0}); }, {"LinearLR", "total_iters"});

  check_throws<ValueError>([&] { OneCycleLR(opt, {.max_lr = {1.0}}); },
                           {"OneCycleLR", "total_steps", "epochs and steps_per_epoch"});
  check_throws<ValueError>([&] { OneCycleLR(opt, {.max_lr = {1.0}, .epochs = 3}); },
                           {"OneCycleLR", "steps_per_epoch"});
  check_throws<ValueError>([&] { OneCycleLR(opt, {.max_lr = {1.0}, .total_steps = 0}); },
                           {"OneCycleLR", "total_steps", "0"});
  check_throws<ValueError>(
      [&] { OneCycleLR(opt, {.max_lr = {1.0}, .epochs = 0, .steps_per_epoch = 3}); },
      {"OneCycleLR", "epochs"});
  check_throws<ValueError>([&] { OneCycleLR(opt, {.max_lr = {}, .total_steps = 10}); },
                           {"OneCycleLR", "max_lr", "one per param group (2)", "got 0"});
  check_throws<ValueError>(
      [&] {
        OneCycleLR(opt, {.max_lr = {1.0, 2.0, 3.0}, .total_steps = 10});
      },
      {"OneCycleLR", "max_lr", "got 3"});
  check_throws<ValueError>([&] { OneCycleLR(opt, {.max_lr = {-1.0}, .total_steps = 10}); },
                           {"OneCycleLR", "max_lr", "-1"});
  check_throws<ValueError>(
      [&] { OneCycleLR(opt, {.max_lr = {1.0}, .total_steps = 10, .pct_start = 1.5}); },
      {"OneCycleLR", "pct_start", "1.5"});
  check_throws<ValueError>(
      [&] { OneCycleLR(opt, {.max_lr = {1.0}, .total_steps = 10, .anneal_strategy = "cosine"}); },
      {"OneCycleLR", "anneal_strategy", "\"cosine\""});
  check_throws<ValueError>(
      [&] { OneCycleLR(opt, {.max_lr = {1.0}, .total_steps = 10, .div_factor = 0.0}); },
      {"OneCycleLR", "div_factor"});
  check_throws<ValueError>(
      [&] { OneCycleLR(opt, {.max_lr = {1.0}, .total_steps = 10, .final_div_factor = -2.0}); },
      {"OneCycleLR", "final_div_factor"});
  check_throws<ValueError>(
      [&] { OneCycleLR(opt, {.max_lr = {1.0}, .total_steps = 10, .max_momentum = {1.0}}); },
      {"OneCycleLR", "max_momentum"});
  // pct_start * total_steps - 1 == 0: the first phase has no length (torch: ZeroDivisionError).
  check_throws<ValueError>(
      [&] { OneCycleLR(opt, {.max_lr = {1.0}, .total_steps = 10, .pct_start = 0.1}); },
      {"OneCycleLR", "zero length"});
  PlainOptimizer plain({f64_leaf()});
  check_throws<ValueError>([&] { OneCycleLR(plain, {.max_lr = {1.0}, .total_steps = 10}); },
                           {"OneCycleLR", "cycle_momentum", "Plain"});
  OneCycleLR lr_only(plain, {.max_lr = {1.0}, .total_steps = 10, .cycle_momentum = false});
  CHECK(plain.lr(0) == doctest::Approx(1.0 / 25.0).epsilon(1e-14));

  check_throws<ValueError>([&] { ReduceLROnPlateau(opt, {.mode = "minimum"}); },
                           {"ReduceLROnPlateau", "mode", "\"minimum\""});
  check_throws<ValueError>([&] { ReduceLROnPlateau(opt, {.threshold_mode = "relative"}); },
                           {"ReduceLROnPlateau", "threshold_mode", "\"relative\""});
  check_throws<ValueError>([&] { ReduceLROnPlateau(opt, {.factor = 1.0}); },
                           {"ReduceLROnPlateau", "factor", "[0, 1)", "1"});
  check_throws<ValueError>([&] { ReduceLROnPlateau(opt, {.factor = -0.1}); },
                           {"ReduceLROnPlateau", "factor"});
  check_throws<ValueError>([&] { ReduceLROnPlateau(opt, {.patience = -1}); },
                           {"ReduceLROnPlateau", "patience", "-1"});
  check_throws<ValueError>([&] { ReduceLROnPlateau(opt, {.threshold = -1e-4}); },
                           {"ReduceLROnPlateau", "threshold"});
  check_throws<ValueError>([&] { ReduceLROnPlateau(opt, {.cooldown = -2}); },
                           {"ReduceLROnPlateau", "cooldown"});
  check_throws<ValueError>(
      [&] {
        ReduceLROnPlateau(opt, {.min_lr = {0.1, 0.2, 0.3}});
      },
      {"ReduceLROnPlateau", "min_lr", "got 3"});
  check_throws<ValueError>([&] { ReduceLROnPlateau(opt, {.min_lr = {-1.0}}); },
                           {"ReduceLROnPlateau", "min_lr"});
  check_throws<ValueError>([&] { ReduceLROnPlateau(opt, {.eps = -1.0}); },
                           {"ReduceLROnPlateau", "eps"});
  // The optimizer was never touched by the refused constructions.
  CHECK(opt.lr(0) == 0.1);
  CHECK(opt.lr(1) == 0.05);
}

TEST_CASE("lr_scheduler: a param group added after construction is reported") {
  SGD opt = make_sgd({0.1});
  StepLR sched(opt, {.step_size = 2});
  ReduceLROnPlateau plateau(opt);
  opt.add_param_group({.params = {f64_leaf()}, .options = {.lr = 0.2}});
  check_throws<ValueError>([&] { sched.step(); }, {"StepLR", "2 param groups", "built for 1"});
  check_throws<ValueError>([&] { plateau.step(1.0); },
                           {"ReduceLROnPlateau", "2 param groups", "built for 1"});
}

TEST_CASE("lr_scheduler: the largest deviation from torch") {
  // Runs last (doctest orders test cases by file and line): reports the figure the issue
  // asks for. Every expected sequence above is compared with rtol 1e-14.
  MESSAGE("largest relative deviation of a learning rate from torch: " << g_largest_deviation);
  CHECK(g_largest_deviation <= 1e-14);
}

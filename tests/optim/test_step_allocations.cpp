// step() allocates nothing once the state exists, nor do lr() and set_lr() (called by the
// schedulers at every step): the global allocation functions are
// replaced here (for the whole test_optim binary) by counting ones that forward to
// malloc / aligned_alloc, and the count is read around the second and later steps.
// Under AddressSanitizer (which owns the allocation functions) the test is left out.
#include <atomic>
#include "optim_test_util.hpp"

#ifndef __SANITIZE_ADDRESS__

#include "support/replaced_allocation.hpp"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void on_test_allocation() { ++g_allocations; }

namespace {

using namespace xg::test::optim;

// Allocations made by the first opt.step() and by the later ones together (gradients are
// set beforehand, outside the counted region).
std::pair<long, long> step_allocations(xg::optim::Optimizer& opt, Problem& pr) {
  set_grads(pr, 0);
  const long before_first = g_allocations.load();
  opt.step();
  const long first = g_allocations.load() - before_first;
  long later = 0;
  for (std::size_t t = 1; t < kS.size(); ++t) {
    set_grads(pr, t);
    const long before = g_allocations.load();
    opt.step();
    later += g_allocations.load() - before;
  }
  return {first, later};
}

}  // namespace

TEST_CASE("Optimizer: step allocates nothing after the first") {
  for (const xg::Dtype dtype : {xg::f64, xg::f32}) {
    std::vector<std::unique_ptr<xg::optim::Optimizer>> opts;
    std::vector<Problem> problems;
    for (int i = 0; i < 6; ++i) problems.push_back(make_problem(dtype));
    opts.push_back(std::make_unique<xg::optim::SGD>(
        problems[0].params(),
        xg::optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true}));
    opts.push_back(std::make_unique<xg::optim::Adam>(
        problems[1].params(), xg::optim::AdamOptions{.weight_decay = 0.1, .amsgrad = true}));
    opts.push_back(std::make_unique<xg::optim::AdamW>(problems[2].params(),
                                                      xg::optim::AdamWOptions{.amsgrad = true}));
    opts.push_back(std::make_unique<xg::optim::RMSprop>(
        problems[3].params(), xg::optim::RMSpropOptions{.momentum = 0.9, .centered = true}));
    opts.push_back(std::make_unique<xg::optim::Adagrad>(
        problems[4].params(), xg::optim::AdagradOptions{.lr_decay = 0.1}));
    opts.push_back(
        std::make_unique<xg::optim::SGD>(problems[5].params(), xg::optim::SGDOptions{.lr = 0.1}));
    for (std::size_t i = 0; i < opts.size(); ++i) {
      INFO(opts[i]->name() << " in " << xg::dtype_name(dtype));
      const auto [first, later] = step_allocations(*opts[i], problems[i]);
      // The counter works: stateful optimizers make their buffers at the first step.
      if (i < 5) CHECK(first > 0);
      CHECK(later == 0);
    }
  }
}

TEST_CASE("Optimizer: lr() and set_lr() read the typed field and allocate nothing") {
  // A scheduler reads and sets the lr of every group at every step: no lookup by name.
  Problem pr = make_problem(xg::f64);
  xg::optim::Adam adam(pr.params(), {.lr = 0.01});
  xg::optim::SGD sgd(
      {{.params = {pr.w}, .options = {.lr = 0.1}}, {.params = {pr.b}, .options = {.lr = 0.2}}});
  const long before = g_allocations.load();
  double sum = adam.lr() + sgd.lr(0) + sgd.lr(1);
  adam.set_lr(0.02, 0);
  sgd.set_lr(0.05);
  sgd.set_lr(0.3, 1);
  const long allocations = g_allocations.load() - before;
  CHECK(allocations == 0);
  CHECK(sum == doctest::Approx(0.31));
  CHECK(adam.options().lr == 0.02);
  CHECK(sgd.options(0).lr == 0.05);
  CHECK(sgd.options(1).lr == 0.3);
}

#endif  // __SANITIZE_ADDRESS__

// Per-op overhead: microseconds for one `add` of two 2x2 f32 tensors that require grad.
// At this size the arithmetic is free, so the numbers measure what every op pays in
// allocation, graph recording and the backward engine.
//
// Usage: tiny_op [repetitions] [iterations per repetition]   (defaults 51 and 2000)
// Each repetition times a loop of iterations; the median repetition is reported.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <xgrad.hpp>

namespace {

// Median over `reps` repetitions of the mean time of one call, in microseconds.
double median_us(int reps, int iters, const std::function<void()>& body) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < iters / 10 + 1; ++i) body();  // warm-up: allocator, caches
  std::vector<double> per_call(reps);
  for (int r = 0; r < reps; ++r) {
    const auto start = clock::now();
    for (int i = 0; i < iters; ++i) body();
    const double us = std::chrono::duration<double, std::micro>(clock::now() - start).count();
    per_call[r] = us / iters;
  }
  std::nth_element(per_call.begin(), per_call.begin() + reps / 2, per_call.end());
  return per_call[reps / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 51;
  const int iters = argc > 2 ? std::atoi(argv[2]) : 2000;
  if (reps < 1 || iters < 1) {
    std::fprintf(stderr, "usage: tiny_op [repetitions >= 1] [iterations >= 1]\n");
    return 2;
  }
  xg::manual_seed(0);
  xg::Tensor a = xg::rand({2, 2}, {.requires_grad = true});
  xg::Tensor b = xg::rand({2, 2}, {.requires_grad = true});
  const xg::Tensor seed_grad = xg::ones({2, 2});

  // Forward only, nothing recorded.
  const double no_grad_us = median_us(reps, iters, [&] {
    xg::NoGradGuard no_grad;
    xg::Tensor c = a + b;
  });
  // Forward, recording the graph (freed when c goes out of scope).
  const double forward_us = median_us(reps, iters, [&] { xg::Tensor c = a + b; });
  // Forward + backward with an explicit output gradient: one op through the engine.
  const double backward_us = median_us(reps, iters, [&] {
    a.zero_grad();
    b.zero_grad();
    xg::Tensor c = a + b;
    c.backward(seed_grad);
  });
  // The PyTorch idiom: add, sum to a scalar, backward.
  const double sum_backward_us = median_us(reps, iters, [&] {
    a.zero_grad();
    b.zero_grad();
    (a + b).sum().backward();
  });

  // The gradients must be right, or the timings mean nothing.
  for (const xg::Tensor* t : {&a, &b}) {
    for (double g : t->grad().to_vector<double>()) {
      if (g != 1.0) {
        std::fprintf(stderr, "tiny_op: wrong gradient %g (expected 1)\n", g);
        return 1;
      }
    }
  }

  std::printf(
      "tiny_op add 2x2 f32 (median of %d x %d): no_grad %.3f us | forward %.3f us | "
      "forward+backward %.3f us | add+sum+backward %.3f us\n",
      reps, iters, no_grad_us, forward_us, backward_us, sum_backward_us);
  return 0;
}

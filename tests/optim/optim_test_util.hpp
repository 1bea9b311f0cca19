// Shared set-up of the optimizer tests: a two-parameter problem with a fixed gradient
// rule, comparison of update sequences against torch.optim, and the largest relative
// deviation from PyTorch seen so far (printed by the tests).
//
// Every expected sequence in tests/optim was produced with PyTorch 1.13 (python3-torch,
// /usr/bin/python3) by this script, with `make` the optimizer named in the comment above
// each table (foreach=False: the single-tensor implementation, PyTorch's CPU default):
//
//   import torch
//   W0 = [0.5, -1.2, 2.0, 0.03]; B0 = [-0.7, 1.5]
//   CW = [0.3, -0.2, 0.5, 1.1];  DW = [0.4, 0.25, -0.6, 0.9]
//   CB = [0.7, 0.05];            DB = [-0.3, 0.8]
//   S = [1.0, -0.5, 2.0, 0.1, -1.5, 0.05]
//   def run(make, dtype=torch.float64, steps=6):
//       w = torch.tensor(W0, dtype=dtype).reshape(2, 2).requires_grad_()
//       b = torch.tensor(B0, dtype=dtype).requires_grad_()
//       opt = make([w, b])
//       cw = torch.tensor(CW, dtype=dtype).reshape(2, 2)
//       dw = torch.tensor(DW, dtype=dtype).reshape(2, 2)
//       cb = torch.tensor(CB, dtype=dtype); db = torch.tensor(DB, dtype=dtype)
//       rows = []
//       for t in range(steps):
//           with torch.no_grad():
//               w.grad = w * cw + dw * S[t]
//               b.grad = b * cb + db * S[t]
//           opt.step()
//           rows.append(w.detach().flatten().tolist() + b.detach().tolist())
//       return rows   # printed with repr(): one row of (w, b) values per step
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "support/check.hpp"
#include "xgrad/optim/adagrad.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/rmsprop.hpp"
#include "xgrad/optim/sgd.hpp"

namespace xg::test::optim {

// Parameter values (w flattened, then b) after each step.
using Rows = std::vector<std::vector<double>>;

inline const std::vector<double> kW0 = {0.5, -1.2, 2.0, 0.03};
inline const std::vector<double> kB0 = {-0.7, 1.5};
inline const std::vector<double> kCW = {0.3, -0.2, 0.5, 1.1};
inline const std::vector<double> kDW = {0.4, 0.25, -0.6, 0.9};
inline const std::vector<double> kCB = {0.7, 0.05};
inline const std::vector<double> kDB = {-0.3, 0.8};
inline const std::vector<double> kS = {1.0, -0.5, 2.0, 0.1, -1.5, 0.05};

// The largest deviations from torch seen by any comparison so far, per dtype.
struct Deviation {
  double relative = 0;  // |got - torch| / |torch|
  double absolute = 0;  // |got - torch|
  long values = 0;      // values compared
};
inline Deviation& max_deviation(bool f32) {
  static Deviation f64_dev, f32_dev;
  return f32 ? f32_dev : f64_dev;
}

struct Problem {
  Tensor w, b;
  std::vector<Tensor> params() const { return {w, b}; }
};

inline Problem make_problem(Dtype dtype) {
  return {tensor(kW0, {2, 2}, {.dtype = dtype, .requires_grad = true}),
          tensor(kB0, {2}, {.dtype = dtype, .requires_grad = true})};
}

// grad = p * c + d * s, computed in the parameter's dtype in torch's order.
inline void set_grad_rule(Tensor& p, const std::vector<double>& c, const std::vector<double>& d,
                          double s) {
  Tensor g = zeros_like(p);
  auto fill = [&]<class T>(std::span<const T> pv, std::span<T> gv) {
    for (std::size_t i = 0; i < pv.size(); ++i) {
      const T a = pv[i] * static_cast<T>(c[i]);
      const T e = static_cast<T>(d[i]) * static_cast<T>(s);
      gv[i] = a + e;
    }
  };
  if (p.dtype() == f64) {
    fill(p.data<double>(), g.mutable_data<double>());
  } else {
    fill(p.data<float>(), g.mutable_data<float>());
  }
  p.set_grad(g);
}

inline void set_grads(Problem& pr, std::size_t t) {
  set_grad_rule(pr.w, kCW, kDW, kS[t]);
  set_grad_rule(pr.b, kCB, kDB, kS[t]);
}

inline std::vector<double> values(const Problem& pr) {
  auto v = pr.w.to_vector<double>();
  const auto b = pr.b.to_vector<double>();
  v.insert(v.end(), b.begin(), b.end());
  return v;
}

// Compares one row of values to PyTorch's, to rel_tol relative, and records the deviation.
// Returns the largest relative deviation of the row.
inline double check_row(const std::vector<double>& got, const std::vector<double>& expected,
                        std::size_t step, double rel_tol, bool f32) {
  REQUIRE(got.size() == expected.size());
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double dev = std::abs(got[i] - expected[i]) / std::max(std::abs(expected[i]), 1e-300);
    Deviation& total = max_deviation(f32);
    total.relative = std::max(total.relative, dev);
    total.absolute = std::max(total.absolute, std::abs(got[i] - expected[i]));
    ++total.values;
    worst = std::max(worst, dev);
    INFO("step " << step + 1 << ", value " << i << ": got " << got[i] << ", torch " << expected[i]
                 << ", relative deviation " << dev);
    CHECK(dev <= rel_tol);
  }
  return worst;
}

using MakeOptimizer = std::function<std::unique_ptr<xg::optim::Optimizer>(std::vector<Tensor>)>;

// Runs the problem with an optimizer made by `make` and compares every step with torch.
// Returns the largest relative deviation of this run.
inline double check_against_torch(const MakeOptimizer& make, const Rows& expected,
                                  Dtype dtype = f64, double rel_tol = 1e-12) {
  Problem pr = make_problem(dtype);
  auto opt = make(pr.params());
  double worst = 0;
  for (std::size_t t = 0; t < expected.size(); ++t) {
    set_grads(pr, t);
    opt->step();
    worst = std::max(worst, check_row(values(pr), expected[t], t, rel_tol, dtype == f32));
  }
  MESSAGE(opt->name() << " (" << dtype_name(dtype) << "): largest relative deviation from "
                      << "torch.optim over " << expected.size() << " steps: " << worst);
  return worst;
}

template <class Opt, class Options> MakeOptimizer maker(Options options) {
  return [options](std::vector<Tensor> params) {
    return std::make_unique<Opt>(std::move(params), options);
  };
}

}  // namespace xg::test::optim

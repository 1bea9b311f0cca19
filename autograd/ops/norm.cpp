// Batch normalisation (autograd/ops/norm.hpp): one fused op with a hand-written backward.
//
// x is seen as (N, C, S), S the product of the spatial sizes; every loop works on one
// channel at a time (its N * S values), and the channels are split over the threads for
// large inputs (one channel, one thread: the same bits for every thread count). Sums are
// accumulated in double, for f32 too, as PyTorch's CPU kernels do.
//
// The op saves x, weight and two (C) tensors: the batch mean and invstd in training, the
// running mean and variance in evaluation. Without create_graph its backward is one pass
// of loops; with it (grad mode on in the backward), the same formula is written with
// differentiable ops, recomputing the batch statistics from x, so that it can be
// differentiated again (PyTorch's batch_norm double backward).

#include "autograd/ops/norm.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "autograd/detail/impl.hpp"
#include "autograd/detail/parallel.hpp"
#include "autograd/factories.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reduce.hpp"
#include "autograd/ops/shape.hpp"
#include "xgrad/autograd/function.hpp"

namespace xg {
namespace {

using detail::ptr;

// x as (n, c, s).
struct Layout {
  std::int64_t n = 0, c = 0, s = 1;
  std::int64_t count() const { return n * s; }  // values per channel
};

void check_channel_operand(const char* name, const Tensor& t, const Tensor& x, const Layout& l) {
  if (!t.defined()) return;
  if (t.dim() != 1 || t.shape()[0] != l.c) {
    throw ShapeError(std::string("batch_norm: ") + name + " should have shape (" +
                     std::to_string(l.c) + ") for input of shape " + shape_str(x.shape()) +
                     ", got " + shape_str(t.shape()));
  }
  if (t.dtype() != x.dtype()) {
    throw DtypeError(std::string("batch_norm: ") + name + " is " +
                     std::string(dtype_name(t.dtype())) + " but the input is " +
                     std::string(dtype_name(x.dtype())));
  }
}

// The axes the statistics reduce over (all but 1), and the (1, C, 1, ...) shape of a
// per-channel tensor broadcast against x.
Axes stat_axes(std::int64_t dim) {
  Axes a{0};
  for (std::int64_t i = 2; i < dim; ++i) a.push_back(i);
  return a;
}
Shape channel_shape(const Shape& x_shape) {
  Shape s(x_shape.size(), 1);
  s[1] = x_shape[1];
  return s;
}

// Training statistics: the mean and invstd of each channel, and the updated running
// statistics (when defined).
template <class T>
void batch_stats(const T* x, const Layout& l, double eps, T* mean, T* invstd, double* var) {
  detail::parallel_for_blocks(l.c, l.count(), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      double sum = 0.0;
      for (std::int64_t i = 0; i < l.n; ++i) {
        const T* p = x + (i * l.c + c) * l.s;
        for (std::int64_t j = 0; j < l.s; ++j) sum += p[j];
      }
      const double m = sum / static_cast<double>(l.count());
      double sq = 0.0;
      for (std::int64_t i = 0; i < l.n; ++i) {
        const T* p = x + (i * l.c + c) * l.s;
        for (std::int64_t j = 0; j < l.s; ++j) sq += (p[j] - m) * (p[j] - m);
      }
      var[c] = sq / static_cast<double>(l.count());
      mean[c] = static_cast<T>(m);
      invstd[c] = static_cast<T>(1.0 / std::sqrt(var[c] + eps));
    }
  });
}

// y = (x - mean) * (invstd * w) + b per channel.
template <class T>
void normalize(const T* x, T* y, const Layout& l, const T* mean, const T* invstd, const T* w,
               const T* b) {
  detail::parallel_for_blocks(l.c, l.count(), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      const T m = mean[c];
      const T scale = w ? invstd[c] * w[c] : invstd[c];
      const T shift = b ? b[c] : T(0);
      for (std::int64_t i = 0; i < l.n; ++i) {
        const T* p = x + (i * l.c + c) * l.s;
        T* q = y + (i * l.c + c) * l.s;
        for (std::int64_t j = 0; j < l.s; ++j) q[j] = (p[j] - m) * scale + shift;
      }
    }
  });
}

// The fused backward, without a graph: dx (if wanted), dw = sum(dy * xhat), db = sum(dy).
template <class T>
void batch_norm_grads(const T* x, const T* dy, const Layout& l, const T* mean, const T* invstd,
                      const T* w, bool training, T* dx, T* dw, T* db) {
  detail::parallel_for_blocks(l.c, l.count(), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      const T m = mean[c], is = invstd[c];
      double sum_dy = 0.0, sum_dy_xhat = 0.0;
      for (std::int64_t i = 0; i < l.n; ++i) {
        const T* p = x + (i * l.c + c) * l.s;
        const T* g = dy + (i * l.c + c) * l.s;
        for (std::int64_t j = 0; j < l.s; ++j) {
          sum_dy += g[j];
          sum_dy_xhat += g[j] * ((p[j] - m) * is);
        }
      }
      if (dw) dw[c] = static_cast<T>(sum_dy_xhat);
      if (db) db[c] = static_cast<T>(sum_dy);
      if (!dx) continue;
      const T scale = w ? is * w[c] : is;
      const double n = static_cast<double>(l.count());
      const T mean_dy = training ? static_cast<T>(sum_dy / n) : T(0);
      const T mean_dy_xhat = training ? static_cast<T>(sum_dy_xhat / n) : T(0);
      for (std::int64_t i = 0; i < l.n; ++i) {
        const T* p = x + (i * l.c + c) * l.s;
        const T* g = dy + (i * l.c + c) * l.s;
        T* q = dx + (i * l.c + c) * l.s;
        for (std::int64_t j = 0; j < l.s; ++j) {
          q[j] = (g[j] - mean_dy - (p[j] - m) * is * mean_dy_xhat) * scale;
        }
      }
    }
  });
}

// The same gradients with differentiable ops (create_graph). `a` and `b` are the saved
// (C) tensors: batch mean and invstd in training, running mean and var in evaluation.
tensor_list composed_grads(const autograd::BackwardCtx& ctx, const Tensor& x, const Tensor& w,
                           const Tensor& a, const Tensor& b, bool training, double eps) {
  const Tensor& g = ctx.grad;
  const Axes axes = stat_axes(x.dim());
  const Shape cs = channel_shape(x.shape());
  Tensor mu, invstd;
  if (training) {
    mu = mean(x, axes, true);
    invstd = pow(mean(square(x - mu), axes, true) + eps, -0.5);
  } else {
    mu = reshape(a, cs);
    invstd = reshape(pow(b + eps, -0.5), cs);
  }
  const Tensor xhat = (x - mu) * invstd;
  const Tensor scale = w.defined() ? reshape(w, cs) * invstd : invstd;
  Tensor dx;
  if (ctx.needs(0)) {
    dx = training ? (g - mean(g, axes, true) - xhat * mean(g * xhat, axes, true)) * scale
                  : g * scale;
  }
  return {dx, ctx.needs(1) ? sum(g * xhat, axes) : Tensor(),
          ctx.needs(2) ? sum(g, axes) : Tensor()};
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  const char* op = "batch_norm";
  autograd::check_defined(op, x);
  autograd::check_floating(op, x);
  if (x.dim() < 2) {
    throw ShapeError(std::string(op) +
                     ": expected an input of shape (N, C, ...) with at least 2 "
                     "dimensions, got shape " +
                     shape_str(x.shape()));
  }
  Layout l;
  l.n = x.shape()[0];
  l.c = x.shape()[1];
  for (std::size_t i = 2; i < x.shape().size(); ++i) l.s *= x.shape()[i];
  check_channel_operand("running_mean", running_mean, x, l);
  check_channel_operand("running_var", running_var, x, l);
  check_channel_operand("weight", weight, x, l);
  check_channel_operand("bias", bias, x, l);
  if (!training && (!running_mean.defined() || !running_var.defined())) {
    throw ValueError(std::string(op) +
                     ": running_mean and running_var must be defined in evaluation mode");
  }
  if (training && l.count() == 1) {
    throw ValueError(std::string(op) +
                     ": Expected more than 1 value per channel when training, got input size " +
                     shape_str(x.shape()));
  }
  Tensor out = detail::empty(x.shape(), x.dtype());
  Tensor a, b;  // batch mean and invstd (training), or the running statistics
  autograd::dispatch_float(op, x.dtype(), [&]<class T>() {
    const T* w = weight.defined() ? ptr<T>(weight) : nullptr;
    const T* bi = bias.defined() ? ptr<T>(bias) : nullptr;
    if (!training) {
      a = running_mean;
      b = running_var;
      std::vector<T> invstd(static_cast<std::size_t>(l.c));
      const T* rv = ptr<T>(running_var);
      for (std::int64_t c = 0; c < l.c; ++c) {
        invstd[static_cast<std::size_t>(c)] = static_cast<T>(1.0 / std::sqrt(rv[c] + eps));
      }
      normalize<T>(ptr<T>(x), ptr<T>(out), l, ptr<T>(running_mean), invstd.data(), w, bi);
      return;
    }
    a = detail::empty({l.c}, x.dtype());
    b = detail::empty({l.c}, x.dtype());
    std::vector<double> var(static_cast<std::size_t>(l.c));
    batch_stats<T>(ptr<T>(x), l, eps, ptr<T>(a), ptr<T>(b), var.data());
    normalize<T>(ptr<T>(x), ptr<T>(out), l, ptr<T>(a), ptr<T>(b), w, bi);
    // The running statistics, in place and without a graph (copy_ bumps their version);
    // an empty batch leaves them, as PyTorch.
    if (l.count() == 0) return;
    const double n = static_cast<double>(l.count());
    NoGradGuard no_grad;
    if (running_mean.defined()) {
      Tensor updated = detail::empty({l.c}, x.dtype());
      const T* rm = ptr<T>(running_mean);
      for (std::int64_t c = 0; c < l.c; ++c) {
        ptr<T>(updated)[c] = static_cast<T>((1.0 - momentum) * rm[c] + momentum * ptr<T>(a)[c]);
      }
      Tensor(running_mean).copy_(updated);
    }
    if (running_var.defined()) {
      Tensor updated = detail::empty({l.c}, x.dtype());
      const T* rv = ptr<T>(running_var);
      for (std::int64_t c = 0; c < l.c; ++c) {
        const double unbiased = var[static_cast<std::size_t>(c)] * n / (n - 1.0);
        ptr<T>(updated)[c] = static_cast<T>((1.0 - momentum) * rv[c] + momentum * unbiased);
      }
      Tensor(running_var).copy_(updated);
    }
  });
  const bool has_weight = weight.defined();
  autograd::record(
      op, out, {x, weight, bias}, {x, weight, a, b},
      [training, eps, has_weight, l](const autograd::BackwardCtx& ctx) {
        const Tensor xs = ctx.saved(0);
        const Tensor w = has_weight ? ctx.saved(1) : Tensor();
        const Tensor sa = ctx.saved(2), sb = ctx.saved(3);
        if (is_grad_enabled()) return composed_grads(ctx, xs, w, sa, sb, training, eps);
        const Tensor g = ctx.grad;  // the output's shape (the engine checks it)
        Tensor dx = ctx.needs(0) ? detail::empty(xs.shape(), xs.dtype()) : Tensor();
        Tensor dw = ctx.needs(1) ? detail::empty({l.c}, xs.dtype()) : Tensor();
        Tensor db = ctx.needs(2) ? detail::empty({l.c}, xs.dtype()) : Tensor();
        autograd::dispatch_float("batch_norm_backward", xs.dtype(), [&]<class T>() {
          const auto p = [](const Tensor& t) { return t.defined() ? ptr<T>(t) : nullptr; };
          std::vector<T> invstd;
          const T* is = ptr<T>(sb);
          if (!training) {  // sb is the running variance
            invstd.resize(static_cast<std::size_t>(l.c));
            for (std::int64_t c = 0; c < l.c; ++c) {
              invstd[static_cast<std::size_t>(c)] = static_cast<T>(1.0 / std::sqrt(is[c] + eps));
            }
            is = invstd.data();
          }
          batch_norm_grads<T>(ptr<T>(xs), ptr<T>(g), l, ptr<T>(sa), is, p(w), training, p(dx),
                              p(dw), p(db));
        });
        return tensor_list{dx, dw, db};
      });
  return out;
}

}  // namespace xg

// Max and average pooling, adaptive average pooling and nearest upsampling
// (autograd/ops/pool.hpp).
//
// Every op works plane by plane: an (H, W) plane of the input (one per batch element and
// channel) gives an (out_h, out_w) plane of the output, and the planes are split over the
// library's threads (Note [parallel loops] in detail/parallel.hpp) when the input is large.
// Each plane is computed by one thread in a fixed order, so the bits do not depend on the
// thread count. The 1-d forms are the 2-d ones on an (N, C, 1, L) view.
//
// Max pooling saves the arg-max of each window (i64, flat within the plane, as PyTorch's
// indices); its backward scatters the gradient there (max_pool_backward), whose own
// backward gathers at the same indices (max_pool_gather), and so on: gradients of any
// order. The average pools and the upsampling are one linear map each, a WindowMap: an
// output cell is the sum of a rectangle of its input plane divided by a divisor. Its
// backward is the adjoint map (window_adjoint), whose backward is the map again.

#include "autograd/ops/pool.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/detail/impl.hpp"
#include "autograd/detail/parallel.hpp"
#include "autograd/factories.hpp"
#include "autograd/ops/shape.hpp"
#include "xgrad/autograd/function.hpp"

namespace xg {
namespace {

using detail::ptr;

// The planes of a pooling, split over the threads (Note [parallel loops]).
template <class F> void for_planes(std::int64_t planes, std::int64_t plane_elems, F&& body) {
  detail::parallel_for_blocks(planes, plane_elems, std::forward<F>(body));
}

// "(h, w)", or "w" alone for the 1-d forms.
std::string size_str(Size2 s, bool one_d) {
  if (one_d) return std::to_string(s.w);
  return "(" + std::to_string(s.h) + ", " + std::to_string(s.w) + ")";
}

// An (H, W) plane geometry: x seen as (planes, in_h, in_w), the output as (planes, out_h,
// out_w), and the output's shape (x's leading sizes, then out_h, out_w).
struct Planes {
  std::int64_t planes = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  Shape out_shape;
};

// Checks that x is a float tensor of 3 or 4 dimensions whose sizes other than the batch
// are non-zero (`one_d`: x is a 1-d op's input seen with a unit H axis; messages show the
// shape without it).
Planes check_planes(const char* op, const Tensor& x, bool one_d) {
  autograd::check_defined(op, x);
  autograd::check_floating(op, x);
  Shape shown = x.shape();
  if (one_d && x.dim() >= 2) shown.erase(shown.end() - 2);
  const auto bad = [&] {
    const std::string what =
        one_d ? "a 2-D (C, L) or 3-D (N, C, L)" : "a 3-D (C, H, W) or 4-D (N, C, H, W)";
    throw ShapeError(std::string(op) + ": expected " + what +
                     " input with non-zero sizes other than the batch, got shape " +
                     shape_str(shown));
  };
  const std::int64_t d = x.dim();
  if (d != 3 && d != 4) bad();
  for (std::int64_t i = d == 4 ? 1 : 0; i < d; ++i) {
    if (x.shape()[static_cast<std::size_t>(i)] == 0) bad();
  }
  Planes p;
  p.in_h = x.shape()[static_cast<std::size_t>(d - 2)];
  p.in_w = x.shape()[static_cast<std::size_t>(d - 1)];
  p.planes = x.numel() / (p.in_h * p.in_w);
  return p;
}

void set_out(Planes& p, const Tensor& x, std::int64_t out_h, std::int64_t out_w) {
  p.out_h = out_h;
  p.out_w = out_w;
  p.out_shape = x.shape();
  p.out_shape[p.out_shape.size() - 2] = out_h;
  p.out_shape[p.out_shape.size() - 1] = out_w;
}

// Checks an output size asked for (adaptive pooling, upsampling): positive, and an output
// of x's leading sizes and (h, w) no larger than a tensor may be.
void check_output_size(const char* op, const char* what, const Tensor& x, Size2 size) {
  Shape out = x.shape();
  out[out.size() - 2] = size.h;
  out[out.size() - 1] = size.w;
  if (size.h <= 0 || size.w <= 0 || !autograd::valid_shape(out) ||
      autograd::shape_numel(out) > detail::kMaxNumel) {
    throw ValueError(std::string(op) + ": " + what + " must be greater than zero, and the output " +
                     "no larger than 2^46 elements, got " + size_str(size, false) +
                     " for input of shape " + shape_str(x.shape()));
  }
}

// PyTorch's pooling_output_shape along one axis.
std::int64_t pooled_size(std::int64_t in, std::int64_t k, std::int64_t pad, std::int64_t stride,
                         std::int64_t dilation, bool ceil_mode) {
  const std::int64_t span = in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  // floor division (span may be negative when the kernel does not fit)
  std::int64_t out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1;
  // The last window must start inside the input or the left padding.
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

inline constexpr std::int64_t kMaxPoolArg = 2147483647;

// The checks and output size common to the max and average pools.
struct PoolArgs {
  Size2 kernel, stride, padding, dilation;
  bool ceil_mode;
};

Planes check_pool(const char* op, const Tensor& x, const PoolArgs& a, bool one_d) {
  Planes p = check_planes(op, x, one_d);
  const auto positive = [&](const char* what, Size2 s) {
    if (s.h <= 0 || s.w <= 0) {
      throw ValueError(std::string(op) + ": " + what + " must be greater than zero, got " +
                       size_str(s, one_d));
    }
  };
  // PyTorch keeps these in 32-bit ints ("integer out of range"); the bound also keeps the
  // output size arithmetic below from overflowing.
  for (const auto& [what, v] :
       {std::pair{"kernel_size", a.kernel}, std::pair{"stride", a.stride},
        std::pair{"padding", a.padding}, std::pair{"dilation", a.dilation}}) {
    if (v.h > kMaxPoolArg || v.w > kMaxPoolArg) {
      throw ValueError(std::string(op) + ": " + what + " " + size_str(v, one_d) +
                       " is out of range (at most 2147483647)");
    }
  }
  positive("kernel_size", a.kernel);
  positive("stride", a.stride);
  positive("dilation", a.dilation);
  if (a.padding.h < 0 || a.padding.w < 0) {
    throw ValueError(std::string(op) + ": padding must be non-negative, got " +
                     size_str(a.padding, one_d));
  }
  if (a.padding.h > a.kernel.h / 2 || a.padding.w > a.kernel.w / 2) {
    throw ValueError(std::string(op) + ": padding " + size_str(a.padding, one_d) +
                     " should be at most half of kernel_size " + size_str(a.kernel, one_d));
  }
  const std::int64_t oh =
      pooled_size(p.in_h, a.kernel.h, a.padding.h, a.stride.h, a.dilation.h, a.ceil_mode);
  const std::int64_t ow =
      pooled_size(p.in_w, a.kernel.w, a.padding.w, a.stride.w, a.dilation.w, a.ceil_mode);
  if (oh < 1 || ow < 1) {
    Shape shown = x.shape();
    if (one_d) shown.erase(shown.end() - 2);
    throw ShapeError(std::string(op) + ": input of shape " + shape_str(shown) +
                     " is too small for kernel_size " + size_str(a.kernel, one_d) +
                     " with padding " + size_str(a.padding, one_d) + " and dilation " +
                     size_str(a.dilation, one_d) + ": the output size would be " +
                     size_str({oh, ow}, one_d));
  }
  set_out(p, x, oh, ow);
  return p;
}

// ---- max pooling -------------------------------------------------------------------------

template <class T>
void max_pool_planes(const T* x, T* y, std::int64_t* idx, const Planes& p, const PoolArgs& a) {
  const std::int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
  for_planes(p.planes, in_plane, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      const T* in = x + c * in_plane;
      T* out = y + c * out_plane;
      std::int64_t* ind = idx + c * out_plane;
      for (std::int64_t oh = 0; oh < p.out_h; ++oh) {
        std::int64_t h0 = oh * a.stride.h - a.padding.h;
        const std::int64_t h1 = std::min(h0 + (a.kernel.h - 1) * a.dilation.h + 1, p.in_h);
        while (h0 < 0) h0 += a.dilation.h;
        for (std::int64_t ow = 0; ow < p.out_w; ++ow) {
          std::int64_t w0 = ow * a.stride.w - a.padding.w;
          const std::int64_t w1 = std::min(w0 + (a.kernel.w - 1) * a.dilation.w + 1, p.in_w);
          while (w0 < 0) w0 += a.dilation.w;
          // PyTorch's loop: a NaN always replaces the maximum, a tie never does.
          std::int64_t best = h0 * p.in_w + w0;
          T m = -std::numeric_limits<T>::infinity();
          for (std::int64_t h = h0; h < h1; h += a.dilation.h) {
            for (std::int64_t w = w0; w < w1; w += a.dilation.w) {
              const T v = in[h * p.in_w + w];
              if (v > m || std::isnan(v)) {
                m = v;
                best = h * p.in_w + w;
              }
            }
          }
          out[oh * p.out_w + ow] = m;
          ind[oh * p.out_w + ow] = best;
        }
      }
    }
  });
}

// The gradient of max pooling and its adjoint, between tensors of the input's shape
// (in_shape) and of the output's (the indices' shape). scatter: g (the output's shape)
// added at `indices` into zeros of the input's shape ("max_pool_backward"); gather: g
// (the input's shape) read at `indices` ("max_pool_gather"). Each one's backward is the
// other.
Tensor max_pool_index(bool scatter, const Tensor& g, const Tensor& indices, const Shape& in_shape) {
  const char* op = scatter ? "max_pool_backward" : "max_pool_gather";
  Tensor out = scatter ? xg::zeros(in_shape, {.dtype = g.dtype()})
                       : detail::empty(indices.shape(), g.dtype());
  const std::int64_t in_plane = in_shape[in_shape.size() - 2] * in_shape[in_shape.size() - 1];
  const std::int64_t planes = (scatter ? out.numel() : g.numel()) / in_plane;
  const std::int64_t out_plane = planes == 0 ? 0 : indices.numel() / planes;
  autograd::dispatch_float(op, g.dtype(), [&]<class T>() {
    const T* gv = ptr<T>(g);
    const std::int64_t* ind = ptr<std::int64_t>(indices);
    T* o = ptr<T>(out);
    for_planes(planes, in_plane, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t c = begin; c < end; ++c) {
        for (std::int64_t i = c * out_plane; i < (c + 1) * out_plane; ++i) {
          if (scatter) {
            o[c * in_plane + ind[i]] += gv[i];
          } else {
            o[i] = gv[c * in_plane + ind[i]];
          }
        }
      }
    });
  });
  autograd::record(op, out, {g}, {indices}, [scatter, in_shape](const autograd::BackwardCtx& ctx) {
    return tensor_list{max_pool_index(!scatter, ctx.grad, ctx.saved(0), in_shape)};
  });
  return out;
}

std::pair<Tensor, Tensor> max_pool(const char* op, const Tensor& x, const PoolArgs& a, bool one_d) {
  const Planes p = check_pool(op, x, a, one_d);
  Tensor out = detail::empty(p.out_shape, x.dtype());
  Tensor indices = detail::empty(p.out_shape, Dtype::i64);
  autograd::dispatch_float(op, x.dtype(), [&]<class T>() {
    max_pool_planes<T>(ptr<T>(x), ptr<T>(out), ptr<std::int64_t>(indices), p, a);
  });
  const Shape in_shape = x.shape();
  autograd::record(op, out, {x}, {indices}, [in_shape](const autograd::BackwardCtx& ctx) {
    return tensor_list{max_pool_index(true, ctx.grad, ctx.saved(0), in_shape)};
  });
  return {out, indices};
}

PoolArgs max_args(const MaxPool2dOptions& o) {
  return {o.kernel_size, o.stride.given ? o.stride : o.kernel_size, o.padding, o.dilation,
          o.ceil_mode};
}

// ---- linear window maps: average pools and upsampling --------------------------------------

// Along one axis, output i reads the inputs [begin[i], end[i]) and contributes count[i] to
// the divisor (the window's size along the axis, padding included or not).
struct AxisWindows {
  std::vector<std::int64_t> begin, end, count;
  void push(std::int64_t b, std::int64_t e, std::int64_t c) {
    begin.push_back(b);
    end.push_back(e);
    count.push_back(c);
  }
};

// out[i, j] = sum of in[h.begin[i]:h.end[i], w.begin[j]:w.end[j]] / divisor, where the
// divisor is `divisor` if nonzero, else h.count[i] * w.count[j]; 0 for an empty window.
struct WindowMap {
  AxisWindows h, w;
  std::int64_t divisor = 0;
  std::int64_t in_h = 0, in_w = 0;
};

template <class T> T window_divisor(const WindowMap& m, std::int64_t i, std::int64_t j) {
  const std::size_t si = static_cast<std::size_t>(i), sj = static_cast<std::size_t>(j);
  return static_cast<T>(m.divisor != 0 ? m.divisor : m.h.count[si] * m.w.count[sj]);
}

Tensor window_adjoint(const Tensor& g, const std::shared_ptr<const WindowMap>& m,
                      const Shape& in_shape);

// The map applied to x (whose last two sizes are in_h, in_w); recorded as `op`.
Tensor window_apply(const char* op, const Tensor& x, const std::shared_ptr<const WindowMap>& m) {
  const std::int64_t oh = static_cast<std::int64_t>(m->h.begin.size());
  const std::int64_t ow = static_cast<std::int64_t>(m->w.begin.size());
  Shape out_shape = x.shape();
  out_shape[out_shape.size() - 2] = oh;
  out_shape[out_shape.size() - 1] = ow;
  Tensor out = detail::empty(out_shape, x.dtype());
  const std::int64_t in_plane = m->in_h * m->in_w, out_plane = oh * ow;
  const std::int64_t planes = x.numel() / in_plane;
  autograd::dispatch_float(op, x.dtype(), [&]<class T>() {
    const T* xv = ptr<T>(x);
    T* o = ptr<T>(out);
    for_planes(planes, in_plane, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t c = begin; c < end; ++c) {
        const T* in = xv + c * in_plane;
        for (std::int64_t i = 0; i < oh; ++i) {
          const std::size_t si = static_cast<std::size_t>(i);
          for (std::int64_t j = 0; j < ow; ++j) {
            const std::size_t sj = static_cast<std::size_t>(j);
            T s = T(0);
            for (std::int64_t h = m->h.begin[si]; h < m->h.end[si]; ++h) {
              for (std::int64_t w = m->w.begin[sj]; w < m->w.end[sj]; ++w) s += in[h * m->in_w + w];
            }
            const bool empty = m->h.begin[si] >= m->h.end[si] || m->w.begin[sj] >= m->w.end[sj];
            o[c * out_plane + i * ow + j] = empty ? T(0) : s / window_divisor<T>(*m, i, j);
          }
        }
      }
    });
  });
  const Shape in_shape = x.shape();
  autograd::record(op, out, {x}, {}, [m, in_shape](const autograd::BackwardCtx& ctx) {
    return tensor_list{window_adjoint(ctx.grad, m, in_shape)};
  });
  return out;
}

// The adjoint of the map: each g[i, j] / divisor added to the inputs of its window.
Tensor window_adjoint(const Tensor& g, const std::shared_ptr<const WindowMap>& m,
                      const Shape& in_shape) {
  Tensor out = xg::zeros(in_shape, {.dtype = g.dtype()});
  const std::int64_t oh = static_cast<std::int64_t>(m->h.begin.size());
  const std::int64_t ow = static_cast<std::int64_t>(m->w.begin.size());
  const std::int64_t in_plane = m->in_h * m->in_w, out_plane = oh * ow;
  const std::int64_t planes = out.numel() / in_plane;
  autograd::dispatch_float("window_pool_backward", g.dtype(), [&]<class T>() {
    const T* gv = ptr<T>(g);
    T* o = ptr<T>(out);
    for_planes(planes, in_plane, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t c = begin; c < end; ++c) {
        T* in = o + c * in_plane;
        for (std::int64_t i = 0; i < oh; ++i) {
          const std::size_t si = static_cast<std::size_t>(i);
          for (std::int64_t j = 0; j < ow; ++j) {
            const std::size_t sj = static_cast<std::size_t>(j);
            const T d = gv[c * out_plane + i * ow + j] / window_divisor<T>(*m, i, j);
            for (std::int64_t h = m->h.begin[si]; h < m->h.end[si]; ++h) {
              for (std::int64_t w = m->w.begin[sj]; w < m->w.end[sj]; ++w) in[h * m->in_w + w] += d;
            }
          }
        }
      }
    });
  });
  autograd::record("window_pool_backward", out, {g}, {}, [m](const autograd::BackwardCtx& ctx) {
    return tensor_list{window_apply("window_pool", ctx.grad, m)};
  });
  return out;
}

// PyTorch's avg_pool2d windows along one axis.
AxisWindows avg_axis(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride,
                     std::int64_t pad, bool count_include_pad) {
  AxisWindows a;
  for (std::int64_t i = 0; i < out; ++i) {
    std::int64_t b = i * stride - pad;
    std::int64_t e = std::min(b + k, in + pad);
    const std::int64_t with_pad = e - b;
    b = std::max<std::int64_t>(b, 0);
    e = std::min(e, in);
    a.push(b, e, count_include_pad ? with_pad : e - b);
  }
  return a;
}

Tensor avg_pool(const char* op, const Tensor& x, const AvgPool2dOptions& o, bool one_d) {
  const PoolArgs a{o.kernel_size, o.stride.given ? o.stride : o.kernel_size, o.padding, 1,
                   o.ceil_mode};
  const Planes p = check_pool(op, x, a, one_d);
  if (o.divisor_override && *o.divisor_override == 0) {
    throw ValueError(std::string(op) + ": divisor_override must not be zero");
  }
  auto m = std::make_shared<WindowMap>();
  m->h = avg_axis(p.in_h, p.out_h, a.kernel.h, a.stride.h, a.padding.h, o.count_include_pad);
  m->w = avg_axis(p.in_w, p.out_w, a.kernel.w, a.stride.w, a.padding.w, o.count_include_pad);
  m->divisor = o.divisor_override.value_or(0);
  m->in_h = p.in_h;
  m->in_w = p.in_w;
  return window_apply(op, x, m);
}

// x with a unit axis before the last one (a 1-d op's input as a 2-d op's), and back.
Tensor as_2d(const char* op, const Tensor& x) {
  autograd::check_defined(op, x);
  if (x.dim() != 2 && x.dim() != 3) {
    throw ShapeError(std::string(op) +
                     ": expected a 2-D (C, L) or 3-D (N, C, L) input with non-zero sizes other "
                     "than the batch, got shape " +
                     shape_str(x.shape()));
  }
  return unsqueeze(x, -2);
}

// The input index that output index i reads, as PyTorch's forward computes it
// (nearest_neighbor_compute_source_index, in float): floor(i / scale) with a given scale,
// else floor(i * in / out). PyTorch's backward (nearest_idx) takes i and i / 2 when out is
// in or 2 in, which differs from its forward when a scale factor is given that is not
// out / in (interpolate of 2 values with scale_factor 2.3 reads 0, 0, 0, 1); xgrad's
// backward is the adjoint of this forward.
std::int64_t nearest_source(std::int64_t i, std::int64_t in, std::int64_t out,
                            std::optional<double> scale) {
  const float s = scale && *scale > 0.0 ? static_cast<float>(1.0 / *scale)
                                        : static_cast<float>(in) / static_cast<float>(out);
  return std::min(static_cast<std::int64_t>(std::floor(static_cast<float>(i) * s)), in - 1);
}

AxisWindows nearest_axis(std::int64_t in, std::int64_t out, std::optional<double> scale) {
  AxisWindows a;
  for (std::int64_t i = 0; i < out; ++i) {
    const std::int64_t s = nearest_source(i, in, out, scale);
    a.push(s, s + 1, 1);
  }
  return a;
}

Tensor upsample_nearest(const char* op, const Tensor& x, Size2 size, std::optional<double> scale_h,
                        std::optional<double> scale_w) {
  autograd::check_defined(op, x);
  autograd::check_floating(op, x);
  if (x.dim() != 4 || x.numel() == 0) {
    throw ShapeError(std::string(op) + ": expected a non-empty 4-D (N, C, H, W) input, got shape " +
                     shape_str(x.shape()));
  }
  check_output_size(op, "output size", x, size);
  auto m = std::make_shared<WindowMap>();
  m->in_h = x.shape()[2];
  m->in_w = x.shape()[3];
  m->h = nearest_axis(m->in_h, size.h, scale_h);
  m->w = nearest_axis(m->in_w, size.w, scale_w);
  m->divisor = 1;
  return window_apply(op, x, m);
}

}  // namespace

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x,
                                                  const MaxPool2dOptions& options) {
  return max_pool("max_pool2d", x, max_args(options), false);
}

Tensor max_pool2d(const Tensor& x, const MaxPool2dOptions& options) {
  return max_pool("max_pool2d", x, max_args(options), false).first;
}

Tensor avg_pool2d(const Tensor& x, const AvgPool2dOptions& options) {
  return avg_pool("avg_pool2d", x, options, false);
}

Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size) {
  const char* op = "adaptive_avg_pool2d";
  const Planes p = check_planes(op, x, false);
  check_output_size(op, "output_size", x, output_size);
  const auto axis = [](std::int64_t in, std::int64_t out) {
    AxisWindows a;
    for (std::int64_t i = 0; i < out; ++i) {
      // in 128 bits: (i + 1) * in may exceed 2^63
      const auto b = static_cast<std::int64_t>(static_cast<__int128>(i) * in / out);
      const auto e = static_cast<std::int64_t>((static_cast<__int128>(i + 1) * in + out - 1) / out);
      a.push(b, e, e - b);
    }
    return a;
  };
  auto m = std::make_shared<WindowMap>();
  m->h = axis(p.in_h, output_size.h);
  m->w = axis(p.in_w, output_size.w);
  m->in_h = p.in_h;
  m->in_w = p.in_w;
  return window_apply(op, x, m);
}

Tensor max_pool1d(const Tensor& x, const MaxPool1dOptions& o) {
  const char* op = "max_pool1d";
  const PoolArgs a{{1, o.kernel_size},
                   {1, o.stride.value_or(o.kernel_size)},
                   {0, o.padding},
                   {1, o.dilation},
                   o.ceil_mode};
  return squeeze(max_pool(op, as_2d(op, x), a, true).first, -2);
}

Tensor avg_pool1d(const Tensor& x, const AvgPool1dOptions& o) {
  const char* op = "avg_pool1d";
  const AvgPool2dOptions a{.kernel_size = {1, o.kernel_size},
                           .stride = {1, o.stride.value_or(o.kernel_size)},
                           .padding = {0, o.padding},
                           .ceil_mode = o.ceil_mode,
                           .count_include_pad = o.count_include_pad};
  return squeeze(avg_pool(op, as_2d(op, x), a, true), -2);
}

Tensor upsample_nearest2d(const Tensor& x, Size2 output_size, std::optional<double> scale_h,
                          std::optional<double> scale_w) {
  return upsample_nearest("upsample_nearest2d", x, output_size, scale_h, scale_w);
}

Tensor interpolate(const Tensor& x, const InterpolateOptions& o) {
  const char* op = "interpolate";
  autograd::check_defined(op, x);
  if (o.mode != "nearest") {
    throw ValueError(std::string(op) + ": mode '" + o.mode + "' is not supported (only 'nearest')");
  }
  if (x.dim() != 3 && x.dim() != 4) {
    throw ShapeError(std::string(op) +
                     ": expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got shape " +
                     shape_str(x.shape()));
  }
  const std::size_t spatial = static_cast<std::size_t>(x.dim() - 2);
  if (o.size.empty() == o.scale_factor.empty()) {
    throw ValueError(std::string(op) +
                     (o.size.empty() ? ": either size or scale_factor should be defined"
                                     : ": only one of size or scale_factor should be defined"));
  }
  const std::size_t given = o.size.empty() ? o.scale_factor.size() : o.size.size();
  if (given != 1 && given != spatial) {
    throw ValueError(std::string(op) + ": " + (o.size.empty() ? "scale_factor" : "size") + " has " +
                     std::to_string(given) + " values; expected 1 or " + std::to_string(spatial) +
                     " for input of shape " + shape_str(x.shape()));
  }
  std::vector<std::int64_t> size(spatial);
  std::vector<std::optional<double>> scale(spatial);
  for (std::size_t i = 0; i < spatial; ++i) {
    const std::size_t k = given == 1 ? 0 : i;
    if (!o.size.empty()) {
      size[i] = o.size[k];
    } else {
      scale[i] = o.scale_factor[k];
      const double in = static_cast<double>(x.shape()[2 + i]);
      if (!(o.scale_factor[k] > 0.0) || !(in * o.scale_factor[k] < 0x1p62)) {
        throw ValueError(std::string(op) + ": scale_factor " + std::to_string(o.scale_factor[k]) +
                         " must be positive and finite, with the output size in range, for "
                         "input of shape " +
                         shape_str(x.shape()));
      }
      size[i] = static_cast<std::int64_t>(std::floor(in * o.scale_factor[k]));
    }
  }
  if (spatial == 2) return upsample_nearest(op, x, {size[0], size[1]}, scale[0], scale[1]);
  return squeeze(upsample_nearest(op, unsqueeze(x, -2), {1, size[0]}, std::nullopt, scale[0]), -2);
}

}  // namespace xg

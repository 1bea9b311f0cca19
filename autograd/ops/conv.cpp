// pad, unfold / fold (im2col / col2im) and the convolutions.
//
// Note [convolution kernels]
// A convolution is a GEMM per sample and group on the sample's columns (im2col): the
// columns of a (C, H, W) image are a (C kh kw) x L matrix, one column per window
// position, and the output's (O, L) block of group g is W_g (O/G x C kh kw / G) times the
// group's rows of the columns. Three kernels do all the work, for conv2d and for
// conv_transpose2d (which is conv2d's input gradient):
//   forward_kernel  out_n = W cols(x_n) (+ bias)                  conv2d forward
//   input_kernel    x_n   = col2im(W^T g_n)                       conv2d dx; transposed fwd
//   weight_kernel   dW    = sum_n g_n cols(x_n)^T                 dW of both
// The samples are split into runs of consecutive samples that the pool's threads take
// (for_each_part), each thread with its own column buffer and OpenBLAS on the calling
// thread alone meanwhile (detail::SerialBlasScope). One GEMM per sample is small (64 x
// 196 x 288 for 32 -> 64 channels at 14 x 14): OpenBLAS's threads split it with more
// waiting than work, and serve one call at a time, so running the samples on the pool
// with threaded OpenBLAS was 3x slower. Measured forward+backward at 2 threads (64
// samples, 32 -> 64 channels, 14 x 14, 3x3, under load 9): 26-32 ms against 102-117 ms
// with the samples in turn on OpenBLAS's threads. The weight gradient sums each of
// kWeightParts runs of samples in its own buffer and adds the runs in order; every split
// depends on the sizes only, so every result has the same bits for any thread count.
// unfold and fold, which call no BLAS, also run the samples on the pool
// (detail::parallel_for_items). A 1x1 window with stride 1 and no padding has the image
// itself as its columns: no im2col, a plain GEMM.
//
// Putting several samples' columns side by side for one wider GEMM (and copying the
// products back to (N, O, L)) was slower, measured forward+backward on one thread with
// OpenBLAS's SkylakeX kernel: 64 x 32 -> 64 channels 14 x 14, 3x3: 12.4 ms per sample,
// 21.9 ms in chunks of 2^21 column elements; 64 x 1 -> 32, 28 x 28: 1.8 ms against 4.1;
// 64 x 32 -> 64, 28 x 28, 5x5: 121 against 133. One sample's columns stay in the cache
// between im2col and the GEMM; a chunk's do not.
//
// With create_graph (grad mode on inside the backward) the gradients are written instead
// with differentiable ops: unfold and fold (each the other's backward), matmul, reshape,
// transpose and sum, so that derivatives of any order exist, as in PyTorch.

#include "autograd/ops/conv.hpp"

#include <algorithm>
#include <climits>
#include <memory>
#include <string>
#include <vector>

#include "autograd/detail/blas.hpp"
#include "autograd/detail/impl.hpp"
#include "autograd/detail/parallel.hpp"
#include "autograd/function.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/reduce.hpp"
#include "autograd/ops/shape.hpp"
#include "autograd/runtime.hpp"

namespace xg {
namespace {

using autograd::shape_numel;
using detail::ptr;

// Sizes computed from user-given paddings, strides and dilations are computed wide, so that
// no product or sum overflows, and refused beyond the largest tensor size.
using Wide = __int128;

std::int64_t bounded(const std::string& op, const char* what, Wide v) {
  if (v > detail::kMaxNumel || v < -detail::kMaxNumel) {
    throw ShapeError(op + ": the " + what + " exceeds the largest tensor size (2^46 elements)");
  }
  return static_cast<std::int64_t>(v);
}

std::string pair_str(std::int64_t a, std::int64_t b) {
  return "(" + std::to_string(a) + ", " + std::to_string(b) + ")";
}

// ---- pad -------------------------------------------------------------------------------

// Where each output element of pad comes from. The tensor is `outer` blocks (the dims
// that are not padded) of in_block input / out_block output elements; src[j] is the
// offset in the input block of output element j of a block, or -1 for the fill value.
struct PadMap {
  Shape in_shape, out_shape;
  std::int64_t outer = 1, in_block = 1, out_block = 1;
  std::vector<std::int64_t> src;
};
using PadMapPtr = std::shared_ptr<const PadMap>;

Tensor pad_scatter(const Tensor& g, const PadMapPtr& m);

// out = x gathered through the map; recorded with pad_scatter as its backward.
Tensor pad_gather(const Tensor& x, const PadMapPtr& m, double value) {
  Tensor out = detail::empty(m->out_shape, x.dtype());
  autograd::dispatch(x.dtype(), [&]<class T>() {
    const T* in = ptr<T>(x);
    T* o = ptr<T>(out);
    const T fill = static_cast<T>(value);
    for (std::int64_t b = 0; b < m->outer; ++b) {
      const T* ib = in + b * m->in_block;
      T* ob = o + b * m->out_block;
      for (std::int64_t j = 0; j < m->out_block; ++j) {
        const std::int64_t s = m->src[static_cast<std::size_t>(j)];
        ob[j] = s < 0 ? fill : ib[s];
      }
    }
  });
  autograd::record("pad", out, {x}, {}, [m](const autograd::BackwardCtx& ctx) {
    return tensor_list{pad_scatter(ctx.grad, m)};
  });
  return out;
}

// The adjoint of pad_gather: each output gradient added to the input element it came from.
Tensor pad_scatter(const Tensor& g, const PadMapPtr& m) {
  Tensor out = detail::empty(m->in_shape, g.dtype());
  autograd::dispatch_float("pad", g.dtype(), [&]<class T>() {
    const T* gv = ptr<T>(g);
    T* o = ptr<T>(out);
    std::fill(o, o + out.numel(), T(0));
    for (std::int64_t b = 0; b < m->outer; ++b) {
      const T* gb = gv + b * m->out_block;
      T* ob = o + b * m->in_block;
      for (std::int64_t j = 0; j < m->out_block; ++j) {
        const std::int64_t s = m->src[static_cast<std::size_t>(j)];
        if (s >= 0) ob[s] += gb[j];
      }
    }
  });
  autograd::record("pad_backward", out, {g}, {}, [m](const autograd::BackwardCtx& ctx) {
    return tensor_list{pad_gather(ctx.grad, m, 0.0)};
  });
  return out;
}

const char* mode_name(PadMode mode) {
  switch (mode) {
    case PadMode::constant: return "constant";
    case PadMode::reflect: return "reflect";
    case PadMode::replicate: return "replicate";
  }
  return "constant";
}

std::string list_str(const std::vector<std::int64_t>& v) {
  std::string s = "(";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + ")";
}

PadMapPtr make_pad_map(const Shape& shape, const std::vector<std::int64_t>& pads, PadMode mode) {
  const auto what = [&] {
    return std::string("pad: input ") + shape_str(shape) + ", padding " + list_str(pads) +
           ", mode " + mode_name(mode);
  };
  const auto nd = static_cast<std::int64_t>(shape.size());
  const auto k = static_cast<std::int64_t>(pads.size() / 2);
  if (pads.size() % 2 != 0) throw ValueError(what() + ": the padding length must be even");
  if (k > nd) throw ValueError(what() + ": pads more dimensions than the input has");
  if (mode != PadMode::constant && k > 0 && (nd < k + 1 || nd > k + 2 || k > 3)) {
    throw ValueError(what() + ": padding " + std::to_string(k) +
                     " dimension(s) in this mode needs a " + std::to_string(k + 1) + "-D or " +
                     std::to_string(k + 2) + "-D input (at most 3 padded dimensions)");
  }
  auto m = std::make_shared<PadMap>();
  m->in_shape = shape;
  m->out_shape = shape;
  m->src = {0};
  for (std::int64_t d = 0; d < nd - k; ++d) m->outer *= shape[static_cast<std::size_t>(d)];
  for (std::int64_t d = nd - k; d < nd; ++d) {
    const std::size_t j = static_cast<std::size_t>(2 * (nd - 1 - d));  // this dim's pair
    const std::int64_t n = shape[static_cast<std::size_t>(d)];
    const std::int64_t before = pads[j], after = pads[j + 1];
    const std::int64_t out_n = bounded("pad", "padded size", Wide{n} + before + after);
    const std::string dim =
        " of dimension " + std::to_string(d) + " (size " + std::to_string(n) + ")";
    if (out_n < 0) throw ShapeError(what() + ": padding" + dim + " gives a negative size");
    if (mode == PadMode::reflect && (before >= n || after >= n)) {
      throw ShapeError(what() + ": reflect padding " + pair_str(before, after) + dim +
                       " must be smaller than the size");
    }
    if (mode == PadMode::replicate && n == 0 && out_n > 0) {
      throw ShapeError(what() + ": replicate padding" + dim + " needs a non-empty dimension");
    }
    m->out_shape[static_cast<std::size_t>(d)] = out_n;
    // Offsets built Horner-style: an entry t of the previous dims becomes t n + p.
    std::vector<std::int64_t> next;
    next.reserve(m->src.size() * static_cast<std::size_t>(out_n));
    for (const std::int64_t t : m->src) {
      for (std::int64_t o = 0; o < out_n; ++o) {
        std::int64_t p = o - before;
        if (mode == PadMode::reflect) {
          p = p < 0 ? -p : (p >= n ? 2 * (n - 1) - p : p);
        } else if (mode == PadMode::replicate) {
          p = std::clamp<std::int64_t>(p, 0, n - 1);
        } else if (p < 0 || p >= n) {
          p = -1;
        }
        next.push_back(t < 0 || p < 0 ? -1 : t * n + p);
      }
    }
    m->src = std::move(next);
    m->in_block *= n;
    m->out_block *= out_n;
  }
  autograd::shape_numel(m->out_shape);  // a valid shape (ShapeError otherwise)
  return m;
}

// ---- sliding windows -------------------------------------------------------------------

// A 2-D sliding window over images of c channels, h x w: kernel, stride, padding (both
// sides), dilation, and the number of positions oh x ow.
struct Window {
  std::int64_t c = 0, h = 0, w = 0;
  std::int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  std::int64_t oh = 0, ow = 0;
  std::int64_t rows() const { return c * kh * kw; }
  std::int64_t cols() const { return oh * ow; }
  std::int64_t image() const { return c * h * w; }
  // The columns are the image itself.
  bool identity() const {
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && oh == h && ow == w;
  }
};

// Positions along one dimension: (n + 2 p - span) / s + 1 for span = d (k - 1) + 1 <= n + 2p.
std::int64_t positions(std::int64_t n, std::int64_t k, std::int64_t s, std::int64_t p,
                       std::int64_t d) {
  return static_cast<std::int64_t>((Wide{n} + Wide{2} * p - Wide{d} * (k - 1) - 1) / s + 1);
}

Window make_window(std::int64_t c, std::int64_t h, std::int64_t w, Size2 k, Size2 s, Size2 p,
                   Size2 d) {
  Window g{c, h, w, k.h, k.w, s.h, s.w, p.h, p.w, d.h, d.w};
  g.oh = positions(h, k.h, s.h, p.h, d.h);
  g.ow = positions(w, k.w, s.w, p.w, d.w);
  return g;
}

// The window positions o in [0, count) with 0 <= o s + off < n: [lo, hi).
void valid_range(std::int64_t off, std::int64_t s, std::int64_t n, std::int64_t count,
                 std::int64_t& lo, std::int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = n - off <= 0 ? 0 : (n - off + s - 1) / s;
  lo = std::min(lo, count);
  hi = std::clamp(hi, lo, count);
}

// Visits every (column row, position row) pair of the window over one image: f(row
// pointer offset, image row offset or -1, first valid position, end, image column of
// position 0).
template <class F> void for_each_block_row(const Window& g, F f) {
  const std::int64_t L = g.cols();
  for (std::int64_t c = 0; c < g.c; ++c) {
    for (std::int64_t ki = 0; ki < g.kh; ++ki) {
      for (std::int64_t kj = 0; kj < g.kw; ++kj) {
        const std::int64_t row = ((c * g.kh + ki) * g.kw + kj) * L;
        const std::int64_t x_off = kj * g.dw - g.pw;
        std::int64_t lo = 0, hi = 0;
        valid_range(x_off, g.sw, g.w, g.ow, lo, hi);
        for (std::int64_t oy = 0; oy < g.oh; ++oy) {
          const std::int64_t iy = oy * g.sh - g.ph + ki * g.dh;
          const bool inside = iy >= 0 && iy < g.h;
          f(row + oy * g.ow, inside ? (c * g.h + iy) * g.w : -1, lo, hi, x_off);
        }
      }
    }
  }
}

// cols (rows x L) = the blocks of img (c x h x w), zeros on the padding.
template <class T> void im2col(const T* img, const Window& g, T* cols) {
  for_each_block_row(g, [&](std::int64_t r, std::int64_t src, std::int64_t lo, std::int64_t hi,
                            std::int64_t x_off) {
    T* out = cols + r;
    if (src < 0) {
      std::fill(out, out + g.ow, T(0));
      return;
    }
    std::fill(out, out + lo, T(0));
    for (std::int64_t ox = lo; ox < hi; ++ox) out[ox] = img[src + x_off + ox * g.sw];
    std::fill(out + hi, out + g.ow, T(0));
  });
}

// img (c x h x w) = the sum of cols' blocks at their positions (the adjoint of im2col).
template <class T> void col2im(const T* cols, const Window& g, T* img) {
  std::fill(img, img + g.image(), T(0));
  for_each_block_row(g, [&](std::int64_t r, std::int64_t src, std::int64_t lo, std::int64_t hi,
                            std::int64_t x_off) {
    if (src < 0) return;
    const T* in = cols + r;
    for (std::int64_t ox = lo; ox < hi; ++ox) img[src + x_off + ox * g.sw] += in[ox];
  });
}

Tensor fold_op(const Tensor& cols, const Window& g);

// (N, c, h, w) -> (N, rows, L); recorded with fold_op as its backward.
Tensor unfold_op(const Tensor& x, const Window& g) {
  const std::int64_t n = x.shape()[0];
  Tensor out = detail::empty({n, g.rows(), g.cols()}, x.dtype());
  autograd::dispatch_float("unfold", x.dtype(), [&]<class T>() {
    const T* in = ptr<T>(x);
    T* o = ptr<T>(out);
    detail::parallel_for_items(n, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t i = b0; i < b1; ++i)
        im2col(in + i * g.image(), g, o + i * g.rows() * g.cols());
    });
  });
  autograd::record("unfold", out, {x}, {}, [g](const autograd::BackwardCtx& ctx) {
    return tensor_list{fold_op(ctx.grad, g)};
  });
  return out;
}

// (N, rows, L) -> (N, c, h, w); recorded with unfold_op as its backward.
Tensor fold_op(const Tensor& cols, const Window& g) {
  const std::int64_t n = cols.shape()[0];
  Tensor out = detail::empty({n, g.c, g.h, g.w}, cols.dtype());
  autograd::dispatch_float("fold", cols.dtype(), [&]<class T>() {
    const T* in = ptr<T>(cols);
    T* o = ptr<T>(out);
    detail::parallel_for_items(n, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t i = b0; i < b1; ++i)
        col2im(in + i * g.rows() * g.cols(), g, o + i * g.image());
    });
  });
  autograd::record("fold", out, {cols}, {}, [g](const autograd::BackwardCtx& ctx) {
    return tensor_list{unfold_op(ctx.grad, g)};
  });
  return out;
}

// ---- convolution kernels (Note [convolution kernels]) ------------------------------------

// A convolution: the window over its image (conv2d's input, conv_transpose2d's output),
// the groups and the number of output channels O of the convolution (the weight's first
// size, (O, c / groups, kh, kw)).
struct Conv {
  Window win;
  std::int64_t groups = 1, out = 0;
  std::int64_t out_g() const { return out / groups; }
  std::int64_t rows_g() const { return win.rows() / groups; }
  Shape weight_shape() const { return {out, win.c / groups, win.kh, win.kw}; }
};

// The samples of a convolution split into `parts` runs of consecutive samples, run on
// the pool's threads with OpenBLAS on one thread each (Note [convolution kernels]):
// body(part, first sample, end, column buffer of `cols_size` elements, its thread's own).
// The split depends on n and parts only, never on the thread count.
template <class T, class F>
void for_each_part(std::int64_t n, std::int64_t parts, std::int64_t cols_size, F&& body) {
  const std::int64_t threads = std::min<std::int64_t>(get_num_threads(), parts);
  const Tensor buffers =
      detail::empty({std::max<std::int64_t>(threads, 1) * cols_size}, dtype_of<T>());
  const detail::SerialBlasScope serial_blas(threads > 1);
  detail::parallel_for_items(threads, [&](std::int64_t t0, std::int64_t t1) {
    for (std::int64_t t = t0; t < t1; ++t) {
      T* buf = ptr<T>(buffers) + t * cols_size;
      for (std::int64_t p = t * parts / threads; p < (t + 1) * parts / threads; ++p)
        body(p, p * n / parts, (p + 1) * n / parts, buf);
    }
  });
}

// out (N, O, L) = W cols(x_n) + bias (bias may be null).
template <class T>
void forward_kernel(const T* x, const T* w, const T* bias, const Conv& cv, std::int64_t n, T* out) {
  const std::int64_t L = cv.win.cols(), og = cv.out_g(), rg = cv.rows_g();
  const bool identity = cv.win.identity();
  for_each_part<T>(n, n, identity ? 0 : cv.win.rows() * L,
                   [&](std::int64_t, std::int64_t i0, std::int64_t i1, T* buf) {
                     for (std::int64_t i = i0; i < i1; ++i) {
                       const T* xi = x + i * cv.win.image();
                       T* oi = out + i * cv.out * L;
                       if (!identity) im2col(xi, cv.win, buf);
                       const T* cols = identity ? xi : buf;
                       if (bias != nullptr) {
                         for (std::int64_t o = 0; o < cv.out; ++o)
                           std::fill(oi + o * L, oi + (o + 1) * L, bias[o]);
                       }
                       for (std::int64_t gi = 0; gi < cv.groups; ++gi) {
                         detail::gemm("conv2d", false, false, og, L, rg, w + gi * og * rg,
                                      cols + gi * rg * L, bias != nullptr ? T(1) : T(0),
                                      oi + gi * og * L);
                       }
                     }
                   });
}

// img (N, c, h, w) = col2im(W^T g_n).
template <class T>
void input_kernel(const T* g, const T* w, const Conv& cv, std::int64_t n, T* img) {
  const std::int64_t L = cv.win.cols(), og = cv.out_g(), rg = cv.rows_g();
  const bool identity = cv.win.identity();
  for_each_part<T>(n, n, identity ? 0 : cv.win.rows() * L,
                   [&](std::int64_t, std::int64_t i0, std::int64_t i1, T* buf) {
                     for (std::int64_t i = i0; i < i1; ++i) {
                       const T* gi_ = g + i * cv.out * L;
                       T* ii = img + i * cv.win.image();
                       T* cols = identity ? ii : buf;
                       for (std::int64_t gi = 0; gi < cv.groups; ++gi) {
                         detail::gemm("conv2d", true, false, rg, L, og, w + gi * og * rg,
                                      gi_ + gi * og * L, T(0), cols + gi * rg * L);
                       }
                       if (!identity) col2im(buf, cv.win, ii);
                     }
                   });
}

// The weight gradient sums its samples in kWeightParts runs (fewer for fewer samples),
// each into its own buffer, then adds the runs in order.
constexpr std::int64_t kWeightParts = 4;

// dw (O, rows / groups) = sum over samples of g_n cols(x_n)^T.
template <class T>
void weight_kernel(const T* x, const T* g, const Conv& cv, std::int64_t n, T* dw) {
  const std::int64_t L = cv.win.cols(), og = cv.out_g(), rg = cv.rows_g();
  const std::int64_t size = cv.out * rg;
  const bool identity = cv.win.identity();
  const std::int64_t parts = std::clamp<std::int64_t>(n, 1, kWeightParts);
  const Tensor partial_buf = detail::empty({parts * size}, dtype_of<T>());
  T* partial = ptr<T>(partial_buf);
  std::fill(partial, partial + parts * size, T(0));
  for_each_part<T>(n, parts, identity ? 0 : cv.win.rows() * L,
                   [&](std::int64_t p, std::int64_t i0, std::int64_t i1, T* buf) {
                     for (std::int64_t i = i0; i < i1; ++i) {
                       const T* xi = x + i * cv.win.image();
                       if (!identity) im2col(xi, cv.win, buf);
                       const T* cols = identity ? xi : buf;
                       for (std::int64_t gi = 0; gi < cv.groups; ++gi) {
                         detail::gemm("conv2d", false, true, og, rg, L,
                                      g + (i * cv.out + gi * og) * L, cols + gi * rg * L, T(1),
                                      partial + p * size + gi * og * rg);
                       }
                     }
                   });
  std::copy_n(partial, size, dw);
  for (std::int64_t p = 1; p < parts; ++p)
    for (std::int64_t j = 0; j < size; ++j) dw[j] += partial[p * size + j];
}

// ---- the same three with differentiable ops (create_graph) ---------------------------------

// (N, X, L) as (N, groups, X / groups, L).
Tensor grouped(const Tensor& t, std::int64_t n, std::int64_t groups) {
  return reshape(t, {n, groups, t.shape()[1] / groups, t.shape()[2]});
}
Tensor weight_matrices(const Tensor& w, const Conv& cv) {
  return reshape(w, {cv.groups, cv.out_g(), cv.rows_g()});
}

Tensor forward_graph(const Tensor& x, const Tensor& w, const Conv& cv) {
  const std::int64_t n = x.shape()[0];
  const Tensor cols = grouped(unfold_op(x, cv.win), n, cv.groups);
  return reshape(matmul(weight_matrices(w, cv), cols), {n, cv.out, cv.win.oh, cv.win.ow});
}

Tensor input_graph(const Tensor& g, const Tensor& w, const Conv& cv) {
  const std::int64_t n = g.shape()[0];
  const Tensor gm = grouped(reshape(g, {n, cv.out, cv.win.cols()}), n, cv.groups);
  const Tensor cols = matmul(transpose(weight_matrices(w, cv), 1, 2), gm);
  return fold_op(reshape(cols, {n, cv.win.rows(), cv.win.cols()}), cv.win);
}

Tensor weight_graph(const Tensor& x, const Tensor& g, const Conv& cv) {
  const std::int64_t n = x.shape()[0];
  const Tensor cols = grouped(unfold_op(x, cv.win), n, cv.groups);
  const Tensor gm = grouped(reshape(g, {n, cv.out, cv.win.cols()}), n, cv.groups);
  return reshape(sum(matmul(gm, transpose(cols, 2, 3)), {0}), cv.weight_shape());
}

// The unrecorded kernels on tensors.
Tensor run_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv& cv) {
  const std::int64_t n = x.shape()[0];
  Tensor out = detail::empty({n, cv.out, cv.win.oh, cv.win.ow}, x.dtype());
  autograd::dispatch_float("conv2d", x.dtype(), [&]<class T>() {
    forward_kernel(ptr<T>(x), ptr<T>(w), bias.defined() ? ptr<T>(bias) : nullptr, cv, n,
                   ptr<T>(out));
  });
  return out;
}
Tensor run_input(const Tensor& g, const Tensor& w, const Conv& cv) {
  const std::int64_t n = g.shape()[0];
  Tensor img = detail::empty({n, cv.win.c, cv.win.h, cv.win.w}, g.dtype());
  autograd::dispatch_float("conv2d", g.dtype(), [&]<class T>() {
    input_kernel(ptr<T>(g), ptr<T>(w), cv, n, ptr<T>(img));
  });
  return img;
}
Tensor run_weight(const Tensor& x, const Tensor& g, const Conv& cv) {
  Tensor dw = detail::empty(cv.weight_shape(), x.dtype());
  autograd::dispatch_float("conv2d", x.dtype(), [&]<class T>() {
    weight_kernel(ptr<T>(x), ptr<T>(g), cv, x.shape()[0], ptr<T>(dw));
  });
  return dw;
}

// Each of the kernels as the fast one, or with create_graph the differentiable one.
Tensor conv_forward(const Tensor& x, const Tensor& w, const Conv& cv) {
  return is_grad_enabled() ? forward_graph(x, w, cv) : run_forward(x, w, Tensor(), cv);
}
Tensor conv_input(const Tensor& g, const Tensor& w, const Conv& cv) {
  return is_grad_enabled() ? input_graph(g, w, cv) : run_input(g, w, cv);
}
Tensor conv_weight(const Tensor& x, const Tensor& g, const Conv& cv) {
  return is_grad_enabled() ? weight_graph(x, g, cv) : run_weight(x, g, cv);
}

// Records `out` = name(x, w, bias): conv2d (transposed false: x is the image) or
// conv_transpose2d (transposed: the output is the image, so its input gradient is the
// convolution and its weight gradient reads the roles of x and g swapped).
void record_conv(const char* name, bool transposed, Tensor& out, const Tensor& x, const Tensor& w,
                 const Tensor& bias, const Conv& cv) {
  const bool has_bias = bias.defined();
  auto backward = [cv, has_bias, transposed](const autograd::BackwardCtx& ctx) {
    tensor_list grads(has_bias ? 3 : 2);
    const Tensor& g = ctx.grad;
    if (ctx.needs(0)) {
      grads[0] = transposed ? conv_forward(g, ctx.saved(1), cv) : conv_input(g, ctx.saved(1), cv);
    }
    if (ctx.needs(1)) {
      grads[1] = transposed ? conv_weight(g, ctx.saved(0), cv) : conv_weight(ctx.saved(0), g, cv);
    }
    if (has_bias && ctx.needs(2)) grads[2] = sum(g, {0, 2, 3});
    return grads;
  };
  if (has_bias) {
    autograd::record(name, out, {x, w, bias}, {x, w}, std::move(backward));
  } else {
    autograd::record(name, out, {x, w}, {x, w}, std::move(backward));
  }
}

Tensor conv2d_op(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv& cv) {
  Tensor out = run_forward(x, w, bias, cv);
  record_conv("conv2d", false, out, x, w, bias, cv);
  return out;
}

Tensor conv_transpose2d_op(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv& cv) {
  Tensor out = run_input(x, w, cv);
  if (bias.defined()) {
    autograd::dispatch_float("conv_transpose2d", out.dtype(), [&]<class T>() {
      T* o = ptr<T>(out);
      const T* b = ptr<T>(bias);
      const std::int64_t hw = cv.win.h * cv.win.w;
      for (std::int64_t i = 0; i < x.shape()[0] * cv.win.c; ++i) {
        const T v = b[i % cv.win.c];
        for (std::int64_t j = 0; j < hw; ++j) o[i * hw + j] += v;
      }
    });
  }
  record_conv("conv_transpose2d", true, out, x, w, bias, cv);
  return out;
}

// ---- argument checks -----------------------------------------------------------------

// A spatial size as the user gave it: one number for 1-D ops, a pair for 2-D ones.
std::string dims_str(Size2 s, int spatial) {
  return spatial == 1 ? std::to_string(s.w) : pair_str(s.h, s.w);
}

void check_operands(const char* op, const Tensor& x, const Tensor& w, const Tensor& bias) {
  autograd::check_defined(op, x);
  autograd::check_defined(op, w);
  autograd::check_floating(op, x);
  autograd::check_floating(op, w);
  autograd::result_dtype(op, x, w);
  if (bias.defined()) {
    autograd::check_floating(op, bias);
    autograd::result_dtype(op, x, bias);
  }
}

void check_positive(const char* op, const char* what, Size2 s, int spatial) {
  if (s.h < 1 || s.w < 1) {
    throw ValueError(std::string(op) + ": " + what + " must be positive, got " +
                     dims_str(s, spatial));
  }
}

void check_bias(const char* op, const Tensor& bias, std::int64_t out) {
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != out)) {
    throw ShapeError(std::string(op) + ": bias must have shape " + shape_str({out}) + ", got " +
                     shape_str(bias.shape()));
  }
}

void check_blas_size(const char* op, std::int64_t v) {
  if (v > INT_MAX) {
    throw ValueError(std::string(op) + ": matrix size " + std::to_string(v) +
                     " exceeds the BLAS limit " + std::to_string(INT_MAX));
  }
}

// The window's rows and blocks (products of sizes each bounded) fit a tensor.
void check_window_sizes(const std::string& op, const Window& g) {
  bounded(op, "number of sliding blocks", Wide{g.oh} * g.ow);
  bounded(op, "size of a block", Wide{g.c} * g.kh * g.kw);
}

void check_conv_blas(const char* op, const Conv& cv) {
  check_window_sizes(op, cv.win);
  check_blas_size(op, cv.win.rows());
  check_blas_size(op, cv.win.cols());
  check_blas_size(op, cv.out);
}

// conv2d and conv1d (spatial 2 or 1): checks, then the 4-D convolution. conv1d's
// operands gain a unit height.
Tensor conv_nd(const char* op, int spatial, const Tensor& input, const Tensor& weight,
               const Tensor& bias, Size2 stride, const ConvPadding& padding, Size2 dilation,
               std::int64_t groups) {
  check_operands(op, input, weight, bias);
  const std::string in_s = shape_str(input.shape()), w_s = shape_str(weight.shape());
  const std::string o = op;
  const auto nd = input.dim();
  if (nd != spatial + 1 && nd != spatial + 2) {
    throw ShapeError(o +
                     (spatial == 2 ? ": expected a 3-D (C, H, W) or 4-D (N, C, H, W) input"
                                   : ": expected a 2-D (C, L) or 3-D (N, C, L) input") +
                     ", got " + in_s);
  }
  if (weight.dim() != spatial + 2) {
    throw ShapeError(o +
                     (spatial == 2 ? ": expected a 4-D weight (out_channels, in_channels / "
                                     "groups, kH, kW)"
                                   : ": expected a 3-D weight (out_channels, in_channels / "
                                     "groups, kW)") +
                     ", got " + w_s);
  }
  if (groups < 1) throw ValueError(o + ": groups must be positive, got " + std::to_string(groups));
  check_positive(op, "stride", stride, spatial);
  check_positive(op, "dilation", dilation, spatial);
  const bool unbatched = nd == spatial + 1;
  Tensor x = unbatched ? unsqueeze(input, 0) : input;
  Tensor w = weight;
  if (spatial == 1) {
    x = unsqueeze(x, 2);
    w = unsqueeze(w, 2);
  }
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  const std::int64_t channels = xs[1], out = ws[0];
  if (ws[2] < 1 || ws[3] < 1) throw ShapeError(o + ": weight " + w_s + " has an empty kernel");
  if (out < 1) throw ShapeError(o + ": weight " + w_s + " has no output channels");
  if (out % groups != 0) {
    throw ShapeError(o + ": weight " + w_s + " has " + std::to_string(out) +
                     " output channels, not divisible by groups " + std::to_string(groups));
  }
  if (ws[1] * groups != channels) {
    throw ShapeError(o + ": input " + in_s + " has " + std::to_string(channels) +
                     " channels, weight " + w_s + " with groups " + std::to_string(groups) +
                     " expects " + std::to_string(ws[1] * groups));
  }
  check_bias(op, bias, out);
  // Padding: numbers, "valid", or "same" (whose odd totals add one zero after).
  if (padding.mode.empty()) {
    if (spatial == 1 && padding.h != padding.w) {
      throw ValueError(o + ": padding must be one number, \"same\" or \"valid\", got " +
                       pair_str(padding.h, padding.w));
    }
    const Size2 given(spatial == 1 ? 0 : padding.h, padding.w);
    if (given.h < 0 || given.w < 0) {
      throw ValueError(o + ": negative padding " + dims_str(given, spatial) + " is not supported");
    }
  } else if (padding.mode == "same") {
    if (stride.h != 1 || stride.w != 1) {
      throw ValueError(o + ": padding \"same\" is not supported for strided convolutions (stride " +
                       dims_str(stride, spatial) + ")");
    }
  } else if (padding.mode != "valid") {
    throw ValueError(o + ": padding must be numbers, \"same\" or \"valid\", got \"" + padding.mode +
                     "\"");
  }
  const ConvPadAmounts amounts =
      conv_pad_amounts(spatial == 1 && padding.mode.empty() ? ConvPadding(0, padding.w) : padding,
                       Size2(ws[2], ws[3]), dilation);
  const Size2 pad(amounts.top, amounts.left);
  const Size2 extra(amounts.bottom - amounts.top, amounts.right - amounts.left);
  const Size2 padded(bounded(o, "padded input size", Wide{xs[2]} + Wide{2} * pad.h + extra.h),
                     bounded(o, "padded input size", Wide{xs[3]} + Wide{2} * pad.w + extra.w));
  const Size2 span(bounded(o, "kernel span", Wide{dilation.h} * (ws[2] - 1) + 1),
                   bounded(o, "kernel span", Wide{dilation.w} * (ws[3] - 1) + 1));
  if (span.h > padded.h || span.w > padded.w) {
    const Size2 k(ws[2], ws[3]);
    throw ShapeError(o + ": kernel " + dims_str(k, spatial) + " with dilation " +
                     dims_str(dilation, spatial) + " spans " + dims_str(span, spatial) +
                     ", larger than the padded input " + dims_str(padded, spatial) + " (input " +
                     in_s + ", weight " + w_s + ")");
  }
  if (extra.h != 0 || extra.w != 0) x = xg::pad(x, {0, extra.w, 0, extra.h});
  const Conv cv{
      make_window(channels, x.shape()[2], x.shape()[3], Size2(ws[2], ws[3]), stride, pad, dilation),
      groups, out};
  check_conv_blas(op, cv);
  Tensor y = conv2d_op(x, w, bias, cv);
  if (spatial == 1) y = squeeze(y, 2);
  return unbatched ? squeeze(y, 0) : y;
}

// unfold's and fold's window checks; the spatial size is the image's.
void check_fold_window(const char* op, Size2 kernel, const FoldOptions& opt) {
  check_positive(op, "kernel_size", kernel, 2);
  check_positive(op, "dilation", opt.dilation, 2);
  check_positive(op, "stride", opt.stride, 2);
  if (opt.padding.h < 0 || opt.padding.w < 0) {
    throw ValueError(std::string(op) + ": negative padding " +
                     pair_str(opt.padding.h, opt.padding.w) + " is not supported");
  }
}

// The window of unfold / fold over an h x w image, or ShapeError when it has no position.
Window fold_window(const char* op, std::int64_t c, Size2 size, Size2 k, const FoldOptions& opt,
                   const Shape& shape) {
  const Size2 padded(bounded(op, "padded size", Wide{size.h} + Wide{2} * opt.padding.h),
                     bounded(op, "padded size", Wide{size.w} + Wide{2} * opt.padding.w));
  const Size2 span(bounded(op, "kernel span", Wide{opt.dilation.h} * (k.h - 1) + 1),
                   bounded(op, "kernel span", Wide{opt.dilation.w} * (k.w - 1) + 1));
  if (span.h > padded.h || span.w > padded.w) {
    throw ShapeError(std::string(op) + ": input " + shape_str(shape) + ": kernel " +
                     pair_str(k.h, k.w) + " with dilation " +
                     pair_str(opt.dilation.h, opt.dilation.w) + " spans " +
                     pair_str(span.h, span.w) + ", larger than the padded image " +
                     pair_str(padded.h, padded.w) + ": no sliding block fits");
  }
  const Window g = make_window(c, size.h, size.w, k, opt.stride, opt.padding, opt.dilation);
  check_window_sizes(op, g);
  return g;
}

}  // namespace

ConvPadAmounts conv_pad_amounts(const ConvPadding& padding, Size2 kernel, Size2 dilation) {
  if (padding.mode.empty()) return {padding.h, padding.h, padding.w, padding.w};
  if (padding.mode != "same") return {};
  const std::int64_t th = dilation.h * (kernel.h - 1), tw = dilation.w * (kernel.w - 1);
  return {th / 2, th - th / 2, tw / 2, tw - tw / 2};
}

Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, PadMode mode, double value) {
  autograd::check_defined("pad", x);
  if (mode != PadMode::constant && value != 0.0) {
    throw ValueError(std::string("pad: padding mode ") + mode_name(mode) +
                     " does not take a value (got " + std::to_string(value) + ")");
  }
  return pad_gather(x, make_pad_map(x.shape(), pads, mode), value);
}

Tensor unfold(const Tensor& input, Size2 kernel_size, const FoldOptions& options) {
  autograd::check_defined("unfold", input);
  autograd::check_floating("unfold", input);
  if (input.dim() != 3 && input.dim() != 4) {
    throw ShapeError("unfold: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got " +
                     shape_str(input.shape()));
  }
  check_fold_window("unfold", kernel_size, options);
  const bool unbatched = input.dim() == 3;
  const Tensor x = unbatched ? unsqueeze(input, 0) : input;
  const Shape& s = x.shape();
  const Window g =
      fold_window("unfold", s[1], Size2(s[2], s[3]), kernel_size, options, input.shape());
  const Tensor y = unfold_op(x, g);
  return unbatched ? squeeze(y, 0) : y;
}

Tensor fold(const Tensor& input, Size2 output_size, Size2 kernel_size, const FoldOptions& options) {
  autograd::check_defined("fold", input);
  autograd::check_floating("fold", input);
  const std::string in_s = shape_str(input.shape());
  if (input.dim() != 2 && input.dim() != 3) {
    throw ShapeError("fold: expected a 2-D (C*kH*kW, L) or 3-D (N, C*kH*kW, L) input, got " + in_s);
  }
  check_fold_window("fold", kernel_size, options);
  check_positive("fold", "output_size", output_size, 2);
  const bool unbatched = input.dim() == 2;
  const Tensor x = unbatched ? unsqueeze(input, 0) : input;
  const Shape& s = x.shape();
  const std::int64_t kk = kernel_size.h * kernel_size.w;
  if (s[1] % kk != 0) {
    throw ShapeError("fold: input " + in_s + ": size " + std::to_string(s[1]) +
                     " of the block dimension is not divisible by the kernel size " +
                     pair_str(kernel_size.h, kernel_size.w));
  }
  const Window g = fold_window("fold", s[1] / kk, output_size, kernel_size, options, input.shape());
  if (s[2] != g.cols()) {
    throw ShapeError("fold: input " + in_s + " has " + std::to_string(s[2]) +
                     " blocks, output_size " + pair_str(output_size.h, output_size.w) +
                     " with this kernel, dilation, padding and stride has " + pair_str(g.oh, g.ow) +
                     " = " + std::to_string(g.cols()));
  }
  const Tensor y = fold_op(x, g);
  return unbatched ? squeeze(y, 0) : y;
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              const Conv2dOptions& options) {
  return conv_nd("conv2d", 2, input, weight, bias, options.stride, options.padding,
                 options.dilation, options.groups);
}

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              const Conv1dOptions& options) {
  return conv_nd("conv1d", 1, input, weight, bias, Size2(1, options.stride), options.padding,
                 Size2(1, options.dilation), options.groups);
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const ConvTranspose2dOptions& options) {
  const char* op = "conv_transpose2d";
  check_operands(op, input, weight, bias);
  const std::string o = op, in_s = shape_str(input.shape()), w_s = shape_str(weight.shape());
  if (input.dim() != 3 && input.dim() != 4) {
    throw ShapeError(o + ": expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got " + in_s);
  }
  if (weight.dim() != 4) {
    throw ShapeError(
        o + ": expected a 4-D weight (in_channels, out_channels / groups, kH, kW), got " + w_s);
  }
  const std::int64_t groups = options.groups;
  if (groups < 1) throw ValueError(o + ": groups must be positive, got " + std::to_string(groups));
  const Size2 s = options.stride, d = options.dilation, p = options.padding,
              op_ = options.output_padding;
  check_positive(op, "stride", s, 2);
  check_positive(op, "dilation", d, 2);
  if (p.h < 0 || p.w < 0) {
    throw ValueError(o + ": negative padding " + pair_str(p.h, p.w) + " is not supported");
  }
  if (op_.h < 0 || op_.w < 0 || (op_.h >= s.h && op_.h >= d.h) || (op_.w >= s.w && op_.w >= d.w)) {
    throw ValueError(o + ": output_padding " + pair_str(op_.h, op_.w) +
                     " must be non-negative and smaller than either stride " + pair_str(s.h, s.w) +
                     " or dilation " + pair_str(d.h, d.w));
  }
  const bool unbatched = input.dim() == 3;
  const Tensor x = unbatched ? unsqueeze(input, 0) : input;
  const Shape& xs = x.shape();
  const Shape& ws = weight.shape();
  const std::int64_t channels = xs[1];
  if (ws[2] < 1 || ws[3] < 1) throw ShapeError(o + ": weight " + w_s + " has an empty kernel");
  if (ws[0] != channels) {
    throw ShapeError(o + ": input " + in_s + " has " + std::to_string(channels) +
                     " channels, weight " + w_s + " expects " + std::to_string(ws[0]));
  }
  if (channels % groups != 0) {
    throw ShapeError(o + ": input " + in_s + " has " + std::to_string(channels) +
                     " channels, not divisible by groups " + std::to_string(groups));
  }
  const std::int64_t out_channels = ws[1] * groups;
  check_bias(op, bias, out_channels);
  const auto out_dim = [&](std::int64_t n, std::int64_t st, std::int64_t pa, std::int64_t di,
                           std::int64_t k, std::int64_t extra) {
    return bounded(o, "output size",
                   Wide{n - 1} * st - Wide{2} * pa + Wide{di} * (k - 1) + extra + 1);
  };
  const Size2 out_size(out_dim(xs[2], s.h, p.h, d.h, ws[2], op_.h),
                       out_dim(xs[3], s.w, p.w, d.w, ws[3], op_.w));
  // The window's arithmetic (Window) stays within the padded output.
  bounded(o, "padded output size", Wide{out_size.h} + Wide{2} * p.h);
  bounded(o, "padded output size", Wide{out_size.w} + Wide{2} * p.w);
  if (out_size.h < 1 || out_size.w < 1) {
    throw ShapeError(o + ": input " + in_s + ", weight " + w_s + ": the output size " +
                     pair_str(out_size.h, out_size.w) + " is not positive");
  }
  // The window over the output: its positions are the input's pixels (output_padding
  // rows beyond the last position get no block).
  Window win = make_window(out_channels, out_size.h, out_size.w, Size2(ws[2], ws[3]), s, p, d);
  win.oh = xs[2];
  win.ow = xs[3];
  const Conv cv{win, groups, channels};
  check_conv_blas(op, cv);
  const Tensor y = conv_transpose2d_op(x, weight, bias, cv);
  return unbatched ? squeeze(y, 0) : y;
}

}  // namespace xg

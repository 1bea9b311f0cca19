// matmul and linear through CBLAS GEMM/GEMV.
//
// Note [gemm operands]
// Every product here is one recorded op, gemm_op, on operands described by an Operand:
// the tensor's contiguous buffer seen as a stack of row-major rows x cols matrices whose
// stack ("batch") axes broadcast, plus a flag saying whether the product uses the matrix
// or its transpose. Since tensors are always contiguous, that view costs nothing: a 1-D
// vector of size k is a 1 x k (or k x 1) matrix, a (B, m, k) tensor is one (B*m) x k
// matrix, and a transpose is a BLAS flag, so no operand is ever copied or transposed in
// memory. The backward of C = op(A) @ op(B) is again gemm_op with other flags:
//   dA = G @ op(B)^T   (if A is used transposed: dA = op(B) @ G^T)
//   dB = op(A)^T @ G   (if B is used transposed: dB = G^T @ op(A))
// so gradients of any order stay on the GEMM path. A gradient is returned with the
// broadcast batch axes in front of the input's own matrix axes; the engine sums it back
// over the axes the input was broadcast along.

#include "autograd/ops/linalg.hpp"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/detail/blas.hpp"
#include "autograd/detail/impl.hpp"
#include "autograd/detail/strided.hpp"
#include "autograd/ops/reduce.hpp"

namespace xg {
namespace {

using autograd::shape_numel;
using detail::ptr;

struct Operand {
  Shape batch;            // stack axes, broadcast against the other operand's
  std::int64_t rows = 0;  // each matrix as stored (row-major)
  std::int64_t cols = 0;
  bool trans = false;  // the product uses the transpose
  std::int64_t op_rows() const { return trans ? cols : rows; }
  std::int64_t op_cols() const { return trans ? rows : cols; }
  Operand transposed() const { return {batch, rows, cols, !trans}; }
};

blasint blas_size(const char* op, std::int64_t n) {
  if (n > INT_MAX) {
    throw ValueError(std::string(op) + ": matrix size " + std::to_string(n) +
                     " exceeds the BLAS limit " + std::to_string(INT_MAX));
  }
  return static_cast<blasint>(n);
}

CBLAS_TRANSPOSE flag(bool trans) { return trans ? CblasTrans : CblasNoTrans; }

void blas_gemm(bool ta, bool tb, blasint m, blasint n, blasint k, const float* a, blasint lda,
               const float* b, blasint ldb, float beta, float* c, blasint ldc) {
  cblas_sgemm(CblasRowMajor, flag(ta), flag(tb), m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}
void blas_gemm(bool ta, bool tb, blasint m, blasint n, blasint k, const double* a, blasint lda,
               const double* b, blasint ldb, double beta, double* c, blasint ldc) {
  cblas_dgemm(CblasRowMajor, flag(ta), flag(tb), m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc);
}
void blas_gemv(bool t, blasint rows, blasint cols, const float* a, blasint lda, const float* x,
               float beta, float* y) {
  cblas_sgemv(CblasRowMajor, flag(t), rows, cols, 1.0f, a, lda, x, 1, beta, y, 1);
}
void blas_gemv(bool t, blasint rows, blasint cols, const double* a, blasint lda, const double* x,
               double beta, double* y) {
  cblas_dgemv(CblasRowMajor, flag(t), rows, cols, 1.0, a, lda, x, 1, beta, y, 1);
}

// Note [gemm orientation]
// C = A B^T (A m x k, B n x k: linear's forward, x @ w^T) can also be computed as
// D = B A^T, n x m, and C = D^T. OpenBLAS 0.3.21's sgemm is faster that way round when
// m < n: measured on one thread (Cooperlake kernel) for k = 8..784, m = 16..256,
// n = 10..512, D took 0.65-0.95x the time of C whenever m < n, the same time when m = n,
// and 1.05-1.15x when m > n; the other flag combinations showed no such difference. The
// transpose costs about m n element copies, paid back only when k is large: hence
// k >= 256 (and f32, the only type measured). An MLP epoch (784-256-128-10) on one thread
// got 2% faster at batch 64, 6% at batch 32 and 11% at batch 16 (its first layer). Each
// element of C is the same dot product either way; only the order of its additions
// inside the kernel may differ.
template <class T>
void gemm_nt_transposed(blasint m, blasint n, blasint k, const T* a, const T* b, T beta, T* c) {
  const Tensor scratch = detail::empty({std::int64_t{m} * n}, dtype_of<T>());  // cached buffer
  T* d = ptr<T>(scratch);
  blas_gemm(false, true, n, m, k, b, k, a, k, T(0), d, m);
  // C (m x n) = beta C + D^T, in tiles so that both sides stay in cache lines.
  constexpr blasint kTile = 16;
  for (blasint i0 = 0; i0 < m; i0 += kTile) {
    const blasint i1 = std::min(m, i0 + kTile);
    for (blasint j0 = 0; j0 < n; j0 += kTile) {
      const blasint j1 = std::min(n, j0 + kTile);
      for (blasint i = i0; i < i1; ++i) {
        T* ci = c + static_cast<std::int64_t>(i) * n;
        for (blasint j = j0; j < j1; ++j) {
          const T v = d[static_cast<std::int64_t>(j) * m + i];
          ci[j] = beta == T(0) ? v : ci[j] + v;
        }
      }
    }
  }
}

// c (m x n, row-major, contiguous) = op(a) @ op(b) + beta * c, where a is stored m x k
// (k x m when ta) and b k x n (n x k when tb), both contiguous. beta is 0 or 1.
template <class T>
void gemm(const char* op, bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
          const T* a, const T* b, T beta, T* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    // BLAS rejects a leading dimension of 0; the empty sum is 0.
    if (beta == T(0)) std::fill(c, c + m * n, T(0));
    return;
  }
  if (k == 1 && beta == T(0) && m * n <= 65536) {
    // A small outer product (the weight gradient of a one-row batch): each element is one
    // product, nothing is summed, so this loop gives BLAS's values without the cost of a
    // BLAS call, which dominates at these sizes. (Large ones stay with BLAS's threads.)
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < n; ++j) c[i * n + j] = a[i] * b[j];
    }
    return;
  }
  detail::ensure_blas_ready();
  const blasint bm = blas_size(op, m), bn = blas_size(op, n), bk = blas_size(op, k);
  const blasint lda = ta ? bm : bk;
  const blasint ldb = tb ? bk : bn;
  // Matrix-vector products take GEMV: OpenBLAS 0.3.21's GEMM packs its operands even when
  // one side is a single column. Measured here, 1024 x 1024 times a vector on one thread:
  // 168 us through sgemm, 43 us through sgemv.
  if (n == 1) {
    // c = op(a) @ x with x the single column of op(b), contiguous either way.
    blas_gemv(ta, ta ? bk : bm, ta ? bm : bk, a, lda, b, beta, c);
  } else if (m == 1) {
    // c^T = op(b)^T @ x with x the single row of op(a), contiguous either way.
    blas_gemv(!tb, tb ? bn : bk, tb ? bk : bn, b, ldb, a, beta, c);
  } else if (std::is_same_v<T, float> && !ta && tb && m < n && k >= 256) {
    gemm_nt_transposed(bm, bn, bk, a, b, beta, c);
  } else {
    blas_gemm(ta, tb, bm, bn, bk, a, lda, b, ldb, beta, c, bn);
  }
}

// out = op(a) @ op(b) over the broadcast batch; out has out_batch stacked m x n matrices.
template <class T>
void batched_gemm(const T* a, const Operand& oa, const T* b, const Operand& ob,
                  const Shape& out_batch, T* out) {
  const std::int64_t m = oa.op_rows(), k = oa.op_cols(), n = ob.op_cols();
  const std::int64_t nb = shape_numel(out_batch);
  const std::int64_t na = shape_numel(oa.batch), nbb = shape_numel(ob.batch);
  // One shared right operand and an untransposed left one: the whole stack of left
  // matrices is one tall matrix, so one GEMM does the batch (the x @ W case).
  if (nbb == 1 && na == nb && !oa.trans) {
    gemm("matmul", false, ob.trans, nb * m, n, k, a, b, T(0), out);
    return;
  }
  const std::int64_t a_mat = oa.rows * oa.cols, b_mat = ob.rows * ob.cols;
  if (na == nb && nbb == nb) {
    for (std::int64_t i = 0; i < nb; ++i) {
      gemm("matmul", oa.trans, ob.trans, m, n, k, a + i * a_mat, b + i * b_mat, T(0),
           out + i * m * n);
    }
    return;
  }
  // Broadcast batch: walk the output's batch axes with each operand's matrix index
  // (stride 0 along its broadcast axes, Note [strided rows]).
  const auto sa = detail::broadcast_strides(oa.batch, out_batch);
  const auto sb = detail::broadcast_strides(ob.batch, out_batch);
  for (detail::StridedRows<2> r(out_batch, {sa, sb}); !r.done(); r.next()) {
    for (std::int64_t j = 0; j < r.size(); ++j) {
      const std::int64_t ia = r.offset(0) + j * r.stride(0), ib = r.offset(1) + j * r.stride(1);
      gemm("matmul", oa.trans, ob.trans, m, n, k, a + ia * a_mat, b + ib * b_mat, T(0),
           out + (r.pos() + j) * m * n);
    }
  }
}

// The shape of an input's gradient: the output's batch axes, then the input's own
// matrix axes (those after its batch axes). See Note [gemm operands].
Shape grad_shape(const Shape& out_batch, const Shape& input_shape, std::size_t input_batch) {
  Shape s = out_batch;
  s.insert(s.end(), input_shape.begin() + static_cast<std::ptrdiff_t>(input_batch),
           input_shape.end());
  return s;
}

// The recorded product op(a) @ op(b) (Note [gemm operands]); the caller has checked the
// operands (same float dtype, matching inner sizes, broadcastable batches), and out_shape
// holds the broadcast batch times m times n elements in any arrangement of axes.
Tensor gemm_op(const Tensor& a, const Operand& oa, const Tensor& b, const Operand& ob,
               const Shape& out_shape) {
  const Shape out_batch = autograd::broadcast_shapes("matmul", oa.batch, ob.batch);
  // The views are built by this file only, but a wrong one would make BLAS read and write
  // out of bounds; a few integer comparisons turn such a bug into an exception.
  if (oa.op_cols() != ob.op_rows() || a.numel() != shape_numel(oa.batch) * oa.rows * oa.cols ||
      b.numel() != shape_numel(ob.batch) * ob.rows * ob.cols ||
      shape_numel(out_shape) != shape_numel(out_batch) * oa.op_rows() * ob.op_cols()) {
    throw std::logic_error("matmul: internal error: operand views do not fit tensors " +
                           shape_str(a.shape()) + " and " + shape_str(b.shape()));
  }
  Tensor out = detail::empty(out_shape, a.dtype());
  autograd::dispatch_float("matmul", a.dtype(), [&]<class T>() {
    batched_gemm(ptr<T>(a), oa, ptr<T>(b), ob, out_batch, ptr<T>(out));
  });
  autograd::record(
      "matmul", out, {a, b}, {a, b}, [oa, ob, out_batch](const autograd::BackwardCtx& ctx) {
        const Tensor& g = ctx.grad;
        const Operand og{out_batch, oa.op_rows(), ob.op_cols(), false};
        std::vector<Tensor> grads(2);
        // Each operand is read only for the other's gradient (as PyTorch saves them).
        if (ctx.needs(0)) {
          const Tensor b = ctx.saved(1);
          const Shape shape = grad_shape(out_batch, ctx.input_shape(0), oa.batch.size());
          grads[0] = oa.trans ? gemm_op(b, ob, g, og.transposed(), shape)
                              : gemm_op(g, og, b, ob.transposed(), shape);
        }
        if (ctx.needs(1)) {
          const Tensor a = ctx.saved(0);
          const Shape b_shape = ctx.input_shape(1);
          const std::int64_t nb = shape_numel(out_batch);
          if (nb > 1 && shape_numel(ob.batch) == 1 && shape_numel(oa.batch) == nb && !oa.trans) {
            // b is shared by the whole batch: its gradient sums over the batch, which is
            // one GEMM contracting over the stacked rows of a and g (no per-batch partial
            // gradients to reduce afterwards).
            const Operand fa{{}, nb * oa.rows, oa.cols, false};
            const Operand fg{{}, nb * og.rows, og.cols, false};
            grads[1] = ob.trans ? gemm_op(g, fg.transposed(), a, fa, b_shape)
                                : gemm_op(a, fa.transposed(), g, fg, b_shape);
          } else {
            const Shape shape = grad_shape(out_batch, b_shape, ob.batch.size());
            grads[1] = ob.trans ? gemm_op(g, og.transposed(), a, oa, shape)
                                : gemm_op(a, oa.transposed(), g, og, shape);
          }
        }
        return grads;
      });
  return out;
}

// f32/f64 only, and one dtype for all operands; the message names op and both dtypes.
void check_float_pair(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() == Dtype::i64 || b.dtype() == Dtype::i64) {
    throw DtypeError(std::string(op) + ": expected float tensors (f32 or f64), got " +
                     std::string(dtype_name(a.dtype())) + " and " +
                     std::string(dtype_name(b.dtype())));
  }
  autograd::result_dtype(op, a, b);  // throws for f32 with f64, naming both
}

// A matrix operand of matmul: 1-D vectors become one row (left) or one column (right).
Operand matmul_operand(const Shape& s, bool left) {
  if (s.size() == 1) return left ? Operand{{}, 1, s[0]} : Operand{{}, s[0], 1};
  return Operand{Shape(s.begin(), s.end() - 2), s[s.size() - 2], s[s.size() - 1]};
}

}  // namespace

void detail::gemm(const char* op, bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
                  const float* a, const float* b, float beta, float* c) {
  xg::gemm(op, ta, tb, m, n, k, a, b, beta, c);
}
void detail::gemm(const char* op, bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
                  const double* a, const double* b, double beta, double* c) {
  xg::gemm(op, ta, tb, m, n, k, a, b, beta, c);
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  autograd::check_defined("matmul", a);
  autograd::check_defined("matmul", b);
  check_float_pair("matmul", a, b);
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  // Built only on error: formatting shapes costs more than a small matmul.
  const auto what = [&] {
    return "matmul: cannot multiply " + shape_str(sa) + " by " + shape_str(sb);
  };
  if (sa.empty() || sb.empty()) {
    throw ShapeError(what() + ": both operands need at least 1 dimension");
  }
  const Operand oa = matmul_operand(sa, true);
  const Operand ob = matmul_operand(sb, false);
  if (oa.cols != ob.rows) {
    throw ShapeError(what() + ": inner sizes " + std::to_string(oa.cols) + " and " +
                     std::to_string(ob.rows) + " differ");
  }
  // Batch axes broadcast like NumPy (right-aligned, equal or 1).
  Shape out_shape(std::max(oa.batch.size(), ob.batch.size()));
  for (std::size_t i = 0; i < out_shape.size(); ++i) {
    const std::size_t ra = oa.batch.size(), rb = ob.batch.size(), r = out_shape.size();
    const std::int64_t da = i + ra >= r ? oa.batch[i + ra - r] : 1;
    const std::int64_t db = i + rb >= r ? ob.batch[i + rb - r] : 1;
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(what() + ": batch shapes " + shape_str(oa.batch) + " and " +
                       shape_str(ob.batch) + " cannot be broadcast");
    }
    out_shape[i] = da == 1 ? db : da;
  }
  if (sa.size() >= 2) out_shape.push_back(oa.rows);
  if (sb.size() >= 2) out_shape.push_back(ob.cols);
  return gemm_op(a, oa, b, ob, out_shape);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  autograd::check_defined("linear", x);
  autograd::check_defined("linear", weight);
  check_float_pair("linear", x, weight);
  if (bias.defined()) check_float_pair("linear", x, bias);
  const Shape& sx = x.shape();
  const Shape& sw = weight.shape();
  const auto what = [&] { return "linear: input " + shape_str(sx) + ", weight " + shape_str(sw); };
  if (sx.empty()) throw ShapeError(what() + ": input needs at least 1 dimension");
  if (sw.size() != 2) throw ShapeError(what() + ": weight must be 2-D (out_features, in_features)");
  const std::int64_t in = sx.back(), out_features = sw[0];
  if (sw[1] != in) {
    throw ShapeError(what() + ": input features " + std::to_string(in) +
                     " and weight in_features " + std::to_string(sw[1]) + " differ");
  }
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != out_features)) {
    throw ShapeError(what() + ": bias must have shape " + shape_str({out_features}) + ", got " +
                     shape_str(bias.shape()));
  }
  Shape out_shape;
  out_shape.reserve(sx.size());
  out_shape.assign(sx.begin(), sx.end() - 1);
  const std::int64_t rows = shape_numel(out_shape);
  out_shape.push_back(out_features);

  Tensor out = detail::empty(std::move(out_shape), x.dtype());
  autograd::dispatch_float("linear", x.dtype(), [&]<class T>() {
    T* o = ptr<T>(out);
    T beta = T(0);
    if (bias.defined()) {
      // The bias is the GEMM's initial value (beta = 1): no second pass over the output.
      const T* bv = ptr<T>(bias);
      for (std::int64_t r = 0; r < rows; ++r)
        std::copy(bv, bv + out_features, o + r * out_features);
      beta = T(1);
    }
    gemm("linear", false, true, rows, out_features, in, ptr<T>(x), ptr<T>(weight), beta, o);
  });

  auto backward = [rows, in, out_features,
                   has_bias = bias.defined()](const autograd::BackwardCtx& ctx) {
    const Tensor& g = ctx.grad;
    // g is a rows x out_features matrix, x a rows x in one (Note [gemm operands]).
    const Operand og{{}, rows, out_features, false};
    std::vector<Tensor> grads(has_bias ? 3 : 2);
    if (ctx.needs(0)) {  // dx = g @ w
      grads[0] =
          gemm_op(g, og, ctx.saved(1), Operand{{}, out_features, in, false}, ctx.input_shape(0));
    }
    if (ctx.needs(1)) {  // dw = g^T @ x, summed over all leading axes by the GEMM
      grads[1] = gemm_op(g, og.transposed(), ctx.saved(0), Operand{{}, rows, in, false},
                         ctx.input_shape(1));
    }
    if (has_bias && ctx.needs(2)) {  // db = g summed over the leading axes
      const std::int64_t nd = g.dim();
      if (nd == 1) {
        grads[2] = g;
      } else if (rows == 1 && !is_grad_enabled()) {
        // One row: the sum is a copy (0 + v, as the sum computes it). Not recorded,
        // so only when the backward itself is not (no create_graph).
        Tensor db = detail::empty({out_features}, g.dtype());
        autograd::dispatch_float("linear", g.dtype(), [&]<class T>() {
          const T* gv = ptr<T>(g);
          T* o = ptr<T>(db);
          for (std::int64_t j = 0; j < out_features; ++j) o[j] = T(0) + gv[j];
        });
        grads[2] = std::move(db);
      } else {
        Axes lead(static_cast<std::size_t>(nd - 1));
        for (std::int64_t i = 0; i < nd - 1; ++i) lead[static_cast<std::size_t>(i)] = i;
        grads[2] = sum(g, lead);
      }
    }
    return grads;
  };
  if (bias.defined()) {
    autograd::record("linear", out, {x, weight, bias}, {x, weight}, std::move(backward));
  } else {
    autograd::record("linear", out, {x, weight}, {x, weight}, std::move(backward));
  }
  return out;
}

}  // namespace xg

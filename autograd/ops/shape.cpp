// Shape manipulation: reshape and its relatives, permute/transpose, concat, stack and
// one_hot. slice, index_select and gather live in indexing.cpp.
//
// Storage is always contiguous row-major, so every op here copies into a fresh tensor
// (no views). Backward rules are written with these same ops so that they stay
// differentiable: reshape's backward is a reshape back, permute's is the inverse permute,
// concat's is a slice per input, stack's is slice + squeeze.
#include "autograd/ops/shape.hpp"
#include "autograd/ops/indexing.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/detail/impl.hpp"
#include "autograd/detail/shape_util.hpp"
#include "autograd/detail/strided.hpp"

namespace xg {

namespace {

using autograd::BackwardCtx;

// The target shape of a reshape with its -1 (if any) filled in; ShapeError otherwise.
Shape infer_shape(const Shape& from, std::int64_t numel, const Shape& to) {
  std::int64_t inferred = -1;
  std::int64_t known = 1;
  for (std::size_t d = 0; d < to.size(); ++d) {
    if (to[d] == -1) {
      if (inferred >= 0) {
        throw ShapeError("reshape: only one size can be -1, got " + shape_str(to));
      }
      inferred = static_cast<std::int64_t>(d);
    } else if (to[d] < 0) {
      throw ShapeError("reshape: invalid size " + std::to_string(to[d]) + " in " + shape_str(to));
    } else {
      known *= to[d];
    }
  }
  // Built only on error: formatting shapes costs more than a small reshape.
  const auto prefix = [&] {
    return "reshape: cannot reshape " + shape_str(from) + " (" + std::to_string(numel) +
           " elements) to " + shape_str(to);
  };
  Shape out = to;
  if (inferred >= 0) {
    // With a zero among the known sizes any value of -1 would fit (PyTorch refuses too).
    if (known == 0) throw ShapeError(prefix() + ": the size of -1 is ambiguous");
    if (numel % known != 0) {
      throw ShapeError(prefix() + ": " + std::to_string(numel) + " is not a multiple of " +
                       std::to_string(known));
    }
    out[inferred] = numel / known;
  } else if (known != numel) {
    throw ShapeError(prefix() + " (" + std::to_string(known) + " elements)");
  }
  return out;
}

// A copy of x's values under a new shape with the same element count, recorded as op
// `name`. Shared by reshape, flatten, squeeze and unsqueeze: they differ only in how
// they compute the shape, and all have "reshape back" as their backward.
Tensor reshape_impl(const char* name, const Tensor& x, const Shape& shape) {
  Tensor out = detail::empty(shape, x.dtype());
  const std::int64_t bytes = x.numel() * static_cast<std::int64_t>(dtype_size(x.dtype()));
  if (bytes > 0) std::memcpy(out.impl()->storage->ptr, x.impl()->storage->ptr, bytes);
  autograd::record(name, out, {x}, {}, [in_shape = x.shape()](const BackwardCtx& ctx) {
    if (!ctx.needs(0)) return std::vector<Tensor>{Tensor()};
    return std::vector<Tensor>{reshape(ctx.grad, in_shape)};
  });
  return out;
}

// dst (contiguous, row-major over `shape`) = src read with element strides `strides`.
template <class T>
void strided_copy(const T* src, const Shape& shape, const std::vector<std::int64_t>& strides,
                  T* dst) {
  // Drop size-1 axes and merge neighbours that are also neighbours in src: a permute of
  // (N, C, H, W) to (N, H, W, C) becomes a 3-axis copy, a no-op permute a single memcpy.
  Shape s;
  std::vector<std::int64_t> st;
  std::int64_t n = 1;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    n *= shape[d];
    if (shape[d] == 1) continue;
    if (!s.empty() && st.back() == strides[d] * shape[d]) {
      s.back() *= shape[d];
      st.back() = strides[d];
    } else {
      s.push_back(shape[d]);
      st.push_back(strides[d]);
    }
  }
  if (n == 0) return;
  if (s.empty()) {
    dst[0] = src[0];
    return;
  }
  const std::size_t nd = s.size();
  if (nd >= 2 && st[nd - 1] != 1) {
    // Strided innermost axis (a transpose): copy the last two axes in square tiles so that
    // both the strided reads and the contiguous writes stay in cache.
    constexpr std::int64_t kTile = 32;
    const std::int64_t rows = s[nd - 2], cols = s[nd - 1];
    const std::int64_t sr = st[nd - 2], sc = st[nd - 1];
    for (detail::StridedRows<1> r(s, {st}, 2); !r.done(); r.next()) {
      const T* sp = src + r.offset(0);
      T* dp = dst + r.pos();
      for (std::int64_t i0 = 0; i0 < rows; i0 += kTile) {
        const std::int64_t i1 = std::min(rows, i0 + kTile);
        for (std::int64_t j0 = 0; j0 < cols; j0 += kTile) {
          const std::int64_t j1 = std::min(cols, j0 + kTile);
          for (std::int64_t i = i0; i < i1; ++i) {
            for (std::int64_t j = j0; j < j1; ++j) dp[i * cols + j] = sp[i * sr + j * sc];
          }
        }
      }
    }
    return;
  }
  if (st[nd - 1] != 1) {  // a single strided axis
    for (std::int64_t j = 0; j < n; ++j) dst[j] = src[j * st[0]];
    return;
  }
  // Innermost axis contiguous in src too: copy whole rows (Note [strided rows]).
  detail::StridedRows<1> r(s, {st});
  const std::int64_t row = r.size();
  for (; !r.done(); r.next()) std::copy_n(src + r.offset(0), row, dst + r.pos());
}

// x with its axes reordered by `perm` (already validated and non-negative), recorded as
// op `name`; the backward applies the inverse permutation.
Tensor permute_impl(const char* name, const Tensor& x, const Axes& perm) {
  const Shape& in_shape = x.shape();
  const auto in_strides = detail::contiguous_strides(in_shape);
  const std::size_t nd = perm.size();
  Shape out_shape(nd);
  std::vector<std::int64_t> strides(nd);
  Axes inverse(nd);
  for (std::size_t i = 0; i < nd; ++i) {
    out_shape[i] = in_shape[perm[i]];
    strides[i] = in_strides[perm[i]];
    inverse[perm[i]] = static_cast<std::int64_t>(i);
  }
  Tensor out = detail::empty(out_shape, x.dtype());
  autograd::dispatch(x.dtype(), [&]<class T>() {
    strided_copy<T>(detail::ptr<T>(x), out_shape, strides, detail::ptr<T>(out));
  });
  autograd::record(name, out, {x}, {}, [inverse](const BackwardCtx& ctx) {
    if (!ctx.needs(0)) return std::vector<Tensor>{Tensor()};
    return std::vector<Tensor>{permute(ctx.grad, inverse)};
  });
  return out;
}

// The dtype a list of tensors is joined in: their common float dtype, or i64 when all
// are i64. Two different float dtypes are a DtypeError naming both and their positions.
Dtype join_dtype(const char* op, const std::vector<Tensor>& tensors) {
  std::size_t first_float = tensors.size();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Dtype d = tensors[i].dtype();
    if (!is_floating(d)) continue;
    if (first_float == tensors.size()) {
      first_float = i;
    } else if (d != tensors[first_float].dtype()) {
      throw DtypeError(std::string(op) + ": cannot join tensors of different float dtypes: " +
                       std::string(dtype_name(tensors[first_float].dtype())) + " (tensor " +
                       std::to_string(first_float) + ") and " + std::string(dtype_name(d)) +
                       " (tensor " + std::to_string(i) + ")");
    }
  }
  return first_float == tensors.size() ? Dtype::i64 : tensors[first_float].dtype();
}

void check_list(const char* op, const std::vector<Tensor>& tensors) {
  if (tensors.empty()) throw ValueError(std::string(op) + ": expected a non-empty list of tensors");
  for (const Tensor& t : tensors) autograd::check_defined(op, t);
}

// Copies, for each outer index, one block of blocks[k] elements from each source in turn:
// the common loop of concat and stack (row-major order makes both a sequence of blocks).
template <class T>
void join_blocks(const std::vector<Tensor>& srcs, const std::vector<std::int64_t>& blocks,
                 std::int64_t outer, T* dst) {
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::size_t k = 0; k < srcs.size(); ++k) {
      const std::int64_t b = blocks[k];
      std::copy_n(detail::ptr<T>(srcs[k]) + o * b, b, dst);
      dst += b;
    }
  }
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  autograd::check_defined("reshape", x);
  return reshape_impl("reshape", x, infer_shape(x.shape(), x.numel(), shape));
}

// Note [views]
// A view shares its input's Storage (and so its version counter). Its backward is a
// reshape back, like reshape's. What xgrad does not do is PyTorch's rebasing of a view's
// or its base's history after an in-place write to either: the storage is marked when a
// view enters a graph, and in-place ops that would need rebasing refuse it
// (autograd/inplace.cpp) instead of giving a silently wrong gradient.
Tensor Tensor::view(const Shape& shape) const {
  autograd::check_defined("view", *this);
  Shape new_shape = infer_shape(this->shape(), numel(), shape);
  Tensor out = detach();  // the same storage, no graph yet
  out.impl()->shape = std::move(new_shape);
  autograd::record("view", out, {*this}, {}, [in_shape = this->shape()](const BackwardCtx& ctx) {
    return tensor_list{xg::reshape(ctx.grad, in_shape)};
  });
  if (out.requires_grad()) impl_->storage->viewed_in_graph = true;
  return out;
}

Tensor flatten(const Tensor& x, std::int64_t start_axis, std::int64_t end_axis) {
  autograd::check_defined("flatten", x);
  // A 0-d tensor flattens to one element (PyTorch), with axes checked as for shape (1).
  const Shape shape = x.dim() == 0 ? Shape{1} : x.shape();
  const std::int64_t start = autograd::normalize_axis("flatten", start_axis, shape);
  const std::int64_t end = autograd::normalize_axis("flatten", end_axis, shape);
  if (start > end) {
    throw ShapeError("flatten: start_axis " + std::to_string(start_axis) +
                     " comes after end_axis " + std::to_string(end_axis) + " for " +
                     shape_str(x.shape()));
  }
  Shape out(shape.begin(), shape.begin() + start);
  std::int64_t merged = 1;
  for (std::int64_t d = start; d <= end; ++d) merged *= shape[d];
  out.push_back(merged);
  out.insert(out.end(), shape.begin() + end + 1, shape.end());
  return reshape_impl("flatten", x, out);
}

Tensor permute(const Tensor& x, const Axes& axes) {
  autograd::check_defined("permute", x);
  const Shape& shape = x.shape();
  if (static_cast<std::int64_t>(axes.size()) != x.dim()) {
    throw ShapeError("permute: got " + std::to_string(axes.size()) + " axes " + shape_str(axes) +
                     " for " + shape_str(shape) + ", which has " + std::to_string(x.dim()));
  }
  Axes perm(axes.size());
  std::vector<bool> seen(axes.size(), false);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    perm[i] = autograd::normalize_axis("permute", axes[i], shape);
    if (seen[perm[i]]) {
      throw ShapeError("permute: axis " + std::to_string(axes[i]) + " repeated in " +
                       shape_str(axes) + " for " + shape_str(shape));
    }
    seen[perm[i]] = true;
  }
  return permute_impl("permute", x, perm);
}

Tensor transpose(const Tensor& x, std::int64_t axis0, std::int64_t axis1) {
  autograd::check_defined("transpose", x);
  // A 0-d tensor transposes to itself (PyTorch accepts axes 0 and -1 there).
  if (x.dim() == 0) {
    autograd::normalize_axis("transpose", axis0, Shape{1});
    autograd::normalize_axis("transpose", axis1, Shape{1});
    return reshape_impl("transpose", x, x.shape());
  }
  const std::int64_t a = autograd::normalize_axis("transpose", axis0, x.shape());
  const std::int64_t b = autograd::normalize_axis("transpose", axis1, x.shape());
  Axes perm(x.dim());
  for (std::int64_t i = 0; i < x.dim(); ++i) perm[i] = i;
  std::swap(perm[a], perm[b]);
  return permute_impl("transpose", x, perm);
}

Tensor squeeze(const Tensor& x) {
  autograd::check_defined("squeeze", x);
  Shape out;
  for (std::int64_t s : x.shape()) {
    if (s != 1) out.push_back(s);
  }
  return reshape_impl("squeeze", x, out);
}

Tensor squeeze(const Tensor& x, std::int64_t axis) {
  autograd::check_defined("squeeze", x);
  if (x.dim() == 0) {
    autograd::normalize_axis("squeeze", axis, Shape{1});
    return reshape_impl("squeeze", x, x.shape());
  }
  const std::int64_t a = autograd::normalize_axis("squeeze", axis, x.shape());
  Shape out = x.shape();
  if (out[a] == 1) out.erase(out.begin() + a);
  return reshape_impl("squeeze", x, out);
}

Tensor unsqueeze(const Tensor& x, std::int64_t axis) {
  autograd::check_defined("unsqueeze", x);
  const std::int64_t nd = x.dim();
  if (axis < -nd - 1 || axis > nd) {
    throw ShapeError("unsqueeze: axis " + std::to_string(axis) + " is out of range [" +
                     std::to_string(-nd - 1) + ", " + std::to_string(nd) + "] for " +
                     shape_str(x.shape()));
  }
  const std::int64_t a = axis < 0 ? axis + nd + 1 : axis;
  Shape out = x.shape();
  out.insert(out.begin() + a, 1);
  return reshape_impl("unsqueeze", x, out);
}

Tensor concat(const std::vector<Tensor>& tensors, std::int64_t axis) {
  check_list("concat", tensors);
  const Shape& first = tensors[0].shape();
  if (first.empty()) {
    throw ShapeError("concat: tensor 0 has shape () and cannot be concatenated (it has no axes)");
  }
  const std::int64_t a = autograd::normalize_axis("concat", axis, first);
  std::vector<std::int64_t> sizes(tensors.size());
  Shape out_shape = first;
  out_shape[a] = 0;
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    const Shape& s = tensors[k].shape();
    bool ok = s.size() == first.size();
    for (std::size_t d = 0; ok && d < s.size(); ++d) {
      ok = static_cast<std::int64_t>(d) == a || s[d] == first[d];
    }
    if (!ok) {
      throw ShapeError("concat: tensor " + std::to_string(k) + " has shape " + shape_str(s) +
                       " but tensor 0 has shape " + shape_str(first) +
                       ": sizes must match except along axis " + std::to_string(a));
    }
    sizes[k] = s[a];
    out_shape[a] += s[a];
  }
  const Dtype dtype = join_dtype("concat", tensors);

  // In row-major order the output is, for each index of the axes before `a`, one block
  // of sizes[k] * inner elements from each input in turn.
  const auto blocks_info = detail::axis_blocks(first, a);
  std::vector<Tensor> srcs(tensors.size());
  std::vector<std::int64_t> blocks(tensors.size());
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    srcs[k] = detail::cast_values(tensors[k], dtype);  // only i64 inputs among floats change
    blocks[k] = sizes[k] * blocks_info.inner;
  }
  Tensor out = detail::empty(out_shape, dtype);
  autograd::dispatch(dtype, [&]<class T>() {
    join_blocks<T>(srcs, blocks, blocks_info.outer, detail::ptr<T>(out));
  });
  autograd::record("concat", out, tensors, {}, [a, sizes](const BackwardCtx& ctx) {
    std::vector<Tensor> grads(sizes.size());
    std::int64_t offset = 0;
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      if (ctx.needs(k)) grads[k] = slice(ctx.grad, a, offset, offset + sizes[k]);
      offset += sizes[k];
    }
    return grads;
  });
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t axis) {
  check_list("stack", tensors);
  const Shape& first = tensors[0].shape();
  for (std::size_t k = 1; k < tensors.size(); ++k) {
    if (tensors[k].shape() != first) {
      throw ShapeError("stack: tensor " + std::to_string(k) + " has shape " +
                       shape_str(tensors[k].shape()) + " but tensor 0 has shape " +
                       shape_str(first) + ": all must have the same shape");
    }
  }
  const std::int64_t nd = static_cast<std::int64_t>(first.size());
  if (axis < -nd - 1 || axis > nd) {
    throw ShapeError("stack: axis " + std::to_string(axis) + " is out of range [" +
                     std::to_string(-nd - 1) + ", " + std::to_string(nd) + "] for shape " +
                     shape_str(first));
  }
  const std::int64_t a = axis < 0 ? axis + nd + 1 : axis;
  const Dtype dtype = join_dtype("stack", tensors);

  // Stacking along `a` is concatenating along `a` with each input counted as size 1:
  // for each index of the axes before `a`, one block of prod(shape[a:]) per input.
  Shape out_shape = first;
  out_shape.insert(out_shape.begin() + a, static_cast<std::int64_t>(tensors.size()));
  std::int64_t outer = 1, block = 1;
  for (std::int64_t d = 0; d < nd; ++d) (d < a ? outer : block) *= first[d];
  std::vector<Tensor> srcs(tensors.size());
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    srcs[k] = detail::cast_values(tensors[k], dtype);
  }
  Tensor out = detail::empty(out_shape, dtype);
  autograd::dispatch(dtype, [&]<class T>() {
    join_blocks<T>(srcs, std::vector<std::int64_t>(tensors.size(), block), outer,
                   detail::ptr<T>(out));
  });
  const std::size_t count = tensors.size();
  autograd::record("stack", out, tensors, {}, [a, count](const BackwardCtx& ctx) {
    std::vector<Tensor> grads(count);
    for (std::size_t k = 0; k < count; ++k) {
      const auto i = static_cast<std::int64_t>(k);
      if (ctx.needs(k)) grads[k] = squeeze(slice(ctx.grad, a, i, i + 1), a);
    }
    return grads;
  });
  return out;
}

Tensor one_hot(const Tensor& indices, std::int64_t num_classes) {
  autograd::check_defined("one_hot", indices);
  if (indices.dtype() != Dtype::i64) {
    throw DtypeError("one_hot: indices must be i64, got " +
                     std::string(dtype_name(indices.dtype())));
  }
  if (num_classes < -1) {
    throw ValueError("one_hot: num_classes must be -1 (infer) or non-negative, got " +
                     std::to_string(num_classes));
  }
  const std::int64_t* idx = detail::ptr<std::int64_t>(indices);
  const std::int64_t n = indices.numel();
  if (num_classes == -1) {
    if (n == 0) {
      throw ValueError("one_hot: cannot infer num_classes from an empty tensor " +
                       shape_str(indices.shape()));
    }
    num_classes = *std::max_element(idx, idx + n) + 1;
  }
  for (std::int64_t i = 0; i < n; ++i) {
    if (idx[i] < 0 || idx[i] >= num_classes) {
      throw ValueError("one_hot: index " + std::to_string(idx[i]) +
                       " is out of range for num_classes " + std::to_string(num_classes) +
                       " (expected 0 <= index < " + std::to_string(num_classes) + ")");
    }
  }
  Shape out_shape = indices.shape();
  out_shape.push_back(num_classes);
  Tensor out = detail::empty(out_shape, Dtype::i64);
  std::int64_t* o = detail::ptr<std::int64_t>(out);
  std::fill_n(o, n * num_classes, std::int64_t{0});
  for (std::int64_t i = 0; i < n; ++i) o[i * num_classes + idx[i]] = 1;
  return out;  // integer output: nothing to record
}

}  // namespace xg

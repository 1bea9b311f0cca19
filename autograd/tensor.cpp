// Tensor handle, storage, creation functions and grad mode.
#include "autograd/tensor.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>

#include "autograd/detail/impl.hpp"
#include "autograd/detail/pool.hpp"
#include "autograd/engine.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define XGRAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XGRAD_ASAN 1
#endif
#endif
#ifdef XGRAD_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace xg {

// ---- storage ---------------------------------------------------------------------------

namespace detail {

// Note [buffer cache]
// A training loop allocates and frees the same buffer sizes every step; going to malloc
// (with 64-byte alignment, which takes glibc's slow memalign path, and page faults for
// large blocks) for each of them was the largest cost of small models. Freed buffers are
// therefore kept in a per-thread cache of size classes (four per power of two, so at most
// 25% of a block is unused) and handed out again. The cache holds at most
// kMaxCachedBytes per thread and is emptied when the thread ends.
namespace {

constexpr std::size_t kMaxCachedBytes = std::size_t{256} << 20;
constexpr std::size_t kMaxBlocksPerClass = 64;
constexpr int kNumClasses = 1 + 58 * 4;

// The class of an n-byte request and the block size it is rounded up to.
int size_class(std::size_t n, std::size_t& rounded) {
  if (n <= 64) {
    rounded = 64;
    return 0;
  }
  const int e = 63 - __builtin_clzll(n - 1);  // 2^e < n <= 2^(e+1), e >= 6
  const std::size_t step = std::size_t{1} << (e - 2);
  rounded = (n + step - 1) & ~(step - 1);
  return 1 + (e - 6) * 4 + static_cast<int>(rounded / step - 5);
}

// Buffers of 8 MiB and more ask the kernel for transparent huge pages (where it offers
// them on request: /sys/kernel/mm/transparent_hugepage/enabled = madvise, Debian's
// default), before any page is touched. Mini-batches gathered from a shuffled data set
// read rows scattered over all of it (188 MB for Fashion-MNIST), one TLB miss per row with
// 4 KiB pages: a Fashion-MNIST epoch at batch 64 took 3% less time with them. Nothing
// changes where the call fails or huge pages are off.
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kHugePageMinBytes = std::size_t{8} << 20;

void* raw_alloc(std::size_t bytes) {
  void* p = ::operator new (bytes, std::align_val_t{64});
  if (bytes >= kHugePageMinBytes) {
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t first = (start + kHugePage - 1) & ~(kHugePage - 1);
    const std::uintptr_t last = (start + bytes) & ~(kHugePage - 1);
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  }
  return p;
}
void raw_free(void* p) { ::operator delete(p, std::align_val_t{64}); }

// Under AddressSanitizer a cached block is poisoned, and a block handed out is addressable
// only up to the bytes asked for: a use after free, or an overflow into the rounding,
// is still reported although the cache never returns the block to malloc.
void asan_poison(void* p, std::size_t n) {
#ifdef XGRAD_ASAN
  __asan_poison_memory_region(p, n);
#else
  (void)p, (void)n;
#endif
}
void asan_unpoison(void* p, std::size_t n) {
#ifdef XGRAD_ASAN
  __asan_unpoison_memory_region(p, n);
#else
  (void)p, (void)n;
#endif
}

struct BufferCache;
// Trivially destructible, so safe to read at exit, and read without an initialisation
// check: the fast path of every Storage is one thread-local read of cache_ptr.
thread_local BufferCache* cache_ptr = nullptr;  // this thread's cache, once made
thread_local bool cache_gone = false;           // the thread is ending: no cache any more

struct BufferCache {
  std::vector<void*> blocks[kNumClasses];
  std::size_t bytes = 0;
  ~BufferCache() {
    cache_gone = true;
    cache_ptr = nullptr;
    for (auto& list : blocks) {
      for (void* p : list) raw_free(p);
    }
  }
};

// This thread's cache, or null while the thread ends.
BufferCache* cache() {
  if (BufferCache* c = cache_ptr) return c;
  if (cache_gone) return nullptr;
  thread_local BufferCache c;
  cache_ptr = &c;
  return &c;
}

}  // namespace

Storage::Storage(Dtype dtype_, std::int64_t numel_) : dtype(dtype_), numel(numel_) {
  // At least one element so ptr is never null; 64-byte alignment suits AVX-512 loads.
  const std::size_t bytes =
      static_cast<std::size_t>(std::max<std::int64_t>(numel, 1)) * dtype_size(dtype);
  std::size_t rounded = 0;
  const int cls = size_class(bytes, rounded);
  if (BufferCache* c = cache()) {
    auto& list = c->blocks[cls];
    if (!list.empty()) {
      ptr = list.back();
      list.pop_back();
      c->bytes -= rounded;
      asan_unpoison(ptr, bytes);
      return;
    }
  }
  ptr = raw_alloc(rounded);
  asan_poison(static_cast<char*>(ptr) + bytes, rounded - bytes);
}

Storage::~Storage() {
  const std::size_t bytes =
      static_cast<std::size_t>(std::max<std::int64_t>(numel, 1)) * dtype_size(dtype);
  std::size_t rounded = 0;
  const int cls = size_class(bytes, rounded);
  if (BufferCache* c = cache()) {
    auto& list = c->blocks[cls];
    if (list.size() < kMaxBlocksPerClass && c->bytes + rounded <= kMaxCachedBytes) {
      asan_poison(ptr, rounded);
      list.push_back(ptr);
      c->bytes += rounded;
      return;
    }
  }
  raw_free(ptr);
}

std::int64_t shape_numel(const Shape& shape) {
  std::int64_t n = 1;
  for (auto s : shape) {
    if (s < 0 || __builtin_mul_overflow(n, s, &n)) {
      throw ShapeError("shape " + shape_str(shape) +
                       (s < 0 ? " has a negative size" : " has more elements than fit in 64 bits"));
    }
  }
  return n;
}

Tensor empty(const Shape& shape, Dtype dtype) { return empty(Shape(shape), dtype); }

Tensor empty(Shape&& shape, Dtype dtype) {
  for (auto s : shape) {
    if (s < 0) throw ShapeError("empty: negative size in shape " + shape_str(shape));
  }
  auto impl = make_pooled<TensorImpl>();
  impl->numel = shape_numel(shape);
  if (impl->numel > (std::int64_t{1} << 46)) {
    throw ShapeError("empty: shape " + shape_str(shape) + " has " + std::to_string(impl->numel) +
                     " elements, more than this library allocates");
  }
  impl->storage = make_pooled<Storage>(dtype, impl->numel);
  impl->shape = std::move(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

void check_defined(const char* op, const Tensor& t) {
  if (!t.defined()) throw GraphError(std::string(op) + ": got an undefined tensor");
}

void check_floating(const char* op, const Tensor& t) {
  check_defined(op, t);
  if (!is_floating(t.dtype())) {
    throw DtypeError(std::string(op) + ": expected a float tensor (f32 or f64), got i64");
  }
}

Dtype result_dtype(const char* op, const Tensor& a, const Tensor& b) {
  check_defined(op, a);
  check_defined(op, b);
  const Dtype da = a.dtype(), db = b.dtype();
  if (da == db) return da;
  if (da == Dtype::i64) return db;
  if (db == Dtype::i64) return da;
  std::ostringstream os;
  os << op << ": mixed float dtypes " << dtype_name(da) << " and " << dtype_name(db)
     << " (shapes " << shape_str(a.shape()) << " and " << shape_str(b.shape())
     << "); convert one with .to()";
  throw DtypeError(os.str());
}

std::int64_t normalize_axis(const char* op, std::int64_t axis, const Shape& shape) {
  const auto nd = static_cast<std::int64_t>(shape.size());
  if (axis < -nd || axis >= nd) {
    std::ostringstream os;
    os << op << ": axis " << axis << " is out of range for shape " << shape_str(shape)
       << " (" << nd << " axes)";
    throw ShapeError(os.str());
  }
  return axis < 0 ? axis + nd : axis;
}

Axes normalize_axes(const char* op, const Axes& axes, const Shape& shape) {
  Axes out;
  if (axes.empty()) {
    for (std::size_t i = 0; i < shape.size(); ++i) out.push_back(static_cast<std::int64_t>(i));
    return out;
  }
  for (auto a : axes) {
    const auto n = normalize_axis(op, a, shape);
    for (auto seen : out) {
      if (seen == n) {
        throw ShapeError(std::string(op) + ": axis " + std::to_string(a) +
                         " appears more than once for shape " + shape_str(shape));
      }
    }
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  const std::size_t nd = std::max(a.size(), b.size());
  Shape out(nd);
  for (std::size_t i = 0; i < nd; ++i) {
    const std::int64_t da = i < nd - a.size() ? 1 : a[i - (nd - a.size())];
    const std::int64_t db = i < nd - b.size() ? 1 : b[i - (nd - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                       " cannot be broadcast together");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size());
  std::int64_t s = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

std::vector<std::int64_t> broadcast_strides(const Shape& in_shape, const Shape& out_shape) {
  const auto in_strides = contiguous_strides(in_shape);
  std::vector<std::int64_t> out(out_shape.size(), 0);
  const std::size_t lead = out_shape.size() - in_shape.size();
  for (std::size_t i = 0; i < in_shape.size(); ++i) {
    out[lead + i] = in_shape[i] == 1 ? 0 : in_strides[i];
  }
  return out;
}

Tensor cast_values(const Tensor& x, Dtype dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = empty(x.shape(), dtype);
  dispatch(x.dtype(), [&]<class S>() {
    dispatch(dtype, [&]<class D>() {
      const S* in = ptr<S>(x);
      D* o = ptr<D>(out);
      for (std::int64_t i = 0, n = x.numel(); i < n; ++i) o[i] = static_cast<D>(in[i]);
    });
  });
  return out;
}

}  // namespace detail

using detail::TensorImpl;

std::string shape_str(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + ")";
}

// ---- handle ----------------------------------------------------------------------------

Tensor::Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

static const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl, const char* what) {
  if (!impl) throw GraphError(std::string("Tensor::") + what + ": the tensor is undefined");
  return *impl;
}

const Shape& Tensor::shape() const { return checked(impl_, "shape").shape; }
std::int64_t Tensor::dim() const { return static_cast<std::int64_t>(shape().size()); }
std::int64_t Tensor::numel() const { return checked(impl_, "numel").numel; }
Dtype Tensor::dtype() const { return checked(impl_, "dtype").dtype; }
std::int64_t Tensor::size(std::int64_t axis) const {
  return shape()[detail::normalize_axis("size", axis, shape())];
}

double Tensor::item() const { return item<double>(); }

template <class R> R Tensor::item() const {
  const auto& impl = checked(impl_, "item");
  if (impl.numel != 1) {
    throw ShapeError("item: the tensor has shape " + shape_str(impl.shape) + " (" +
                     std::to_string(impl.numel) + " elements); item() needs exactly one");
  }
  return detail::dispatch(impl.dtype, [&]<class T>() {
    return static_cast<R>(*static_cast<const T*>(impl.storage->ptr));
  });
}

template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template std::int64_t Tensor::item<std::int64_t>() const;
template int Tensor::item<int>() const;

template <class T> std::span<const T> Tensor::data() const {
  const auto& impl = checked(impl_, "data");
  if (impl.dtype != dtype_of<T>()) {
    throw DtypeError(std::string("Tensor::data: the tensor holds ") +
                     std::string(dtype_name(impl.dtype)) + ", not " +
                     std::string(dtype_name(dtype_of<T>())));
  }
  return {static_cast<const T*>(impl.storage->ptr), static_cast<std::size_t>(impl.numel)};
}

template <class T> std::span<T> Tensor::mutable_data() {
  auto d = data<T>();
  ++impl_->storage->version;
  return {const_cast<T*>(d.data()), d.size()};
}

template <class T> std::vector<T> Tensor::to_vector() const {
  const auto& impl = checked(impl_, "to_vector");
  std::vector<T> out(static_cast<std::size_t>(impl.numel));
  detail::dispatch(impl.dtype, [&]<class S>() {
    const S* in = static_cast<const S*>(impl.storage->ptr);
    for (std::int64_t i = 0; i < impl.numel; ++i) out[i] = static_cast<T>(in[i]);
  });
  return out;
}

template std::span<const float> Tensor::data<float>() const;
template std::span<const double> Tensor::data<double>() const;
template std::span<const std::int64_t> Tensor::data<std::int64_t>() const;
template std::span<float> Tensor::mutable_data<float>();
template std::span<double> Tensor::mutable_data<double>();
template std::span<std::int64_t> Tensor::mutable_data<std::int64_t>();
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
template std::vector<int> Tensor::to_vector<int>() const;

Tensor Tensor::to(Dtype dtype) const {
  detail::check_defined("to", *this);
  if (dtype == this->dtype()) return *this;
  Tensor out = detail::cast_values(*this, dtype);
  if (is_floating(dtype) && is_floating(this->dtype())) {
    const Dtype from = this->dtype();
    detail::record("to", out, {*this}, [from](const detail::BackwardCtx& ctx) {
      return std::vector<Tensor>{ctx.grad.to(from)};
    }, /*save_output=*/false, /*saves_inputs=*/false);
  }
  return out;
}

Tensor Tensor::clone() const {
  detail::check_defined("clone", *this);
  Tensor out = detail::empty(shape(), dtype());
  std::memcpy(out.impl()->storage->ptr, impl_->storage->ptr,
              static_cast<std::size_t>(numel()) * dtype_size(dtype()));
  detail::record("clone", out, {*this}, [](const detail::BackwardCtx& ctx) {
    return std::vector<Tensor>{ctx.grad};
  }, /*save_output=*/false, /*saves_inputs=*/false);
  return out;
}

Tensor Tensor::detach() const {
  detail::check_defined("detach", *this);
  auto impl = detail::make_pooled<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = impl_->shape;
  impl->numel = impl_->numel;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }
bool Tensor::is_leaf() const { return !checked(impl_, "is_leaf").grad_fn; }

Tensor& Tensor::requires_grad_(bool requires_grad) {
  checked(impl_, "requires_grad_");
  if (!is_leaf()) {
    throw GraphError("requires_grad_: only leaf tensors can change requires_grad; this one "
                     "was produced by " + grad_fn_name() + " (use detach() first)");
  }
  if (requires_grad && !is_floating(impl_->dtype)) {
    throw DtypeError("requires_grad_: only float tensors can require gradients; this one "
                     "is i64 with shape " + shape_str(impl_->shape));
  }
  impl_->requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const { return checked(impl_, "grad").grad; }

void Tensor::set_grad(const Tensor& grad) {
  checked(impl_, "set_grad");
  if (grad.defined() && (grad.shape() != shape() || grad.dtype() != dtype())) {
    throw ShapeError("set_grad: gradient of shape " + shape_str(grad.shape()) + " and dtype " +
                     std::string(dtype_name(grad.dtype())) + " does not match tensor " +
                     shape_str(shape()) + " " + std::string(dtype_name(dtype())));
  }
  impl_->grad = grad;
}

void Tensor::zero_grad(bool set_to_none) {
  checked(impl_, "zero_grad");
  if (set_to_none || !impl_->grad.defined()) {
    impl_->grad = Tensor();
    return;
  }
  Tensor g = impl_->grad;
  std::memset(g.impl()->storage->ptr, 0, static_cast<std::size_t>(g.numel()) * dtype_size(g.dtype()));
  ++g.impl()->storage->version;
}

std::string Tensor::grad_fn_name() const {
  const auto& impl = checked(impl_, "grad_fn_name");
  return impl.grad_fn ? impl.grad_fn->name : "";
}

// ---- creation --------------------------------------------------------------------------

static void check_creation_options(const char* op, const TensorOptions& opts) {
  if (opts.requires_grad && !is_floating(opts.dtype)) {
    throw DtypeError(std::string(op) + ": an i64 tensor cannot require gradients");
  }
}

static Tensor filled(const char* op, const Shape& shape, double value, TensorOptions opts) {
  check_creation_options(op, opts);
  Tensor out = detail::empty(shape, opts.dtype);
  detail::dispatch(opts.dtype, [&]<class T>() {
    T* p = detail::ptr<T>(out);
    const T v = static_cast<T>(value);
    for (std::int64_t i = 0, n = out.numel(); i < n; ++i) p[i] = v;
  });
  out.impl()->requires_grad = opts.requires_grad;
  return out;
}

Tensor tensor(const std::vector<double>& values, const Shape& shape, TensorOptions opts) {
  check_creation_options("tensor", opts);
  const auto n = detail::shape_numel(shape);
  if (n != static_cast<std::int64_t>(values.size())) {
    throw ShapeError("tensor: " + std::to_string(values.size()) + " values do not fill shape " +
                     shape_str(shape) + " (" + std::to_string(n) + " elements)");
  }
  Tensor out = detail::empty(shape, opts.dtype);
  detail::dispatch(opts.dtype, [&]<class T>() {
    T* p = detail::ptr<T>(out);
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(values[i]);
  });
  out.impl()->requires_grad = opts.requires_grad;
  return out;
}

Tensor tensor(const std::vector<double>& values) {
  return tensor(values, {static_cast<std::int64_t>(values.size())});
}
Tensor scalar_tensor(double value, TensorOptions opts) { return filled("scalar_tensor", {}, value, opts); }

Tensor tensor_i64(const std::vector<std::int64_t>& values, const Shape& shape) {
  const auto n = detail::shape_numel(shape);
  if (n != static_cast<std::int64_t>(values.size())) {
    throw ShapeError("tensor_i64: " + std::to_string(values.size()) +
                     " values do not fill shape " + shape_str(shape) + " (" +
                     std::to_string(n) + " elements)");
  }
  Tensor out = detail::empty(shape, Dtype::i64);
  std::copy(values.begin(), values.end(), detail::ptr<std::int64_t>(out));
  return out;
}
Tensor tensor_i64(const std::vector<std::int64_t>& values) {
  return tensor_i64(values, {static_cast<std::int64_t>(values.size())});
}

Tensor zeros(const Shape& shape, TensorOptions opts) { return filled("zeros", shape, 0.0, opts); }
Tensor ones(const Shape& shape, TensorOptions opts) { return filled("ones", shape, 1.0, opts); }
Tensor full(const Shape& shape, double value, TensorOptions opts) {
  return filled("full", shape, value, opts);
}
Tensor zeros_like(const Tensor& like, bool requires_grad) {
  return filled("zeros_like", like.shape(), 0.0, {like.dtype(), requires_grad});
}
Tensor ones_like(const Tensor& like, bool requires_grad) {
  return filled("ones_like", like.shape(), 1.0, {like.dtype(), requires_grad});
}
Tensor full_like(const Tensor& like, double value, bool requires_grad) {
  return filled("full_like", like.shape(), value, {like.dtype(), requires_grad});
}

Tensor arange(double end, TensorOptions opts) { return arange(0.0, end, 1.0, opts); }

Tensor arange(double start, double end, double step, TensorOptions opts) {
  check_creation_options("arange", opts);
  if (step == 0.0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(end)) {
    throw ValueError("arange: start, end and step must be finite and step non-zero (got " +
                     std::to_string(start) + ", " + std::to_string(end) + ", " +
                     std::to_string(step) + ")");
  }
  if ((end - start) / step < 0) {
    throw ValueError("arange: step " + std::to_string(step) + " moves away from end " +
                     std::to_string(end) + " starting at " + std::to_string(start));
  }
  const auto n = static_cast<std::int64_t>(std::ceil((end - start) / step));
  Tensor out = detail::empty({n}, opts.dtype);
  detail::dispatch(opts.dtype, [&]<class T>() {
    T* p = detail::ptr<T>(out);
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  out.impl()->requires_grad = opts.requires_grad;
  return out;
}

Tensor linspace(double start, double end, std::int64_t steps, TensorOptions opts) {
  check_creation_options("linspace", opts);
  if (steps < 0) throw ValueError("linspace: steps must be >= 0, got " + std::to_string(steps));
  Tensor out = detail::empty({steps}, opts.dtype);
  detail::dispatch(opts.dtype, [&]<class T>() {
    T* p = detail::ptr<T>(out);
    const double h = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
    for (std::int64_t i = 0; i < steps; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * h);
    if (steps > 1) p[steps - 1] = static_cast<T>(end);
  });
  out.impl()->requires_grad = opts.requires_grad;
  return out;
}

// ---- grad mode -------------------------------------------------------------------------

namespace {
thread_local bool grad_enabled = true;
}

bool is_grad_enabled() { return grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(grad_enabled) { grad_enabled = false; }
NoGradGuard::~NoGradGuard() { grad_enabled = previous_; }
EnableGradGuard::EnableGradGuard() : previous_(grad_enabled) { grad_enabled = true; }
EnableGradGuard::~EnableGradGuard() { grad_enabled = previous_; }

}  // namespace xg

// Dataset rows are contiguous (Tensor storage is row-major), so a batch is a gather of
// whole rows: one memcpy per sample, or one per batch when the order is sequential. This
// is the training loop's hot path; nothing here goes through the op machinery.
#include "data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "autograd/function.hpp"
#include "autograd/random.hpp"
#include "data/detail/rng.hpp"

namespace xg::data {

namespace {

std::int64_t row_bytes(const Tensor& t) {
  const std::int64_t n = t.shape()[0];
  return n == 0 ? 0 : t.numel() / n * static_cast<std::int64_t>(dtype_size(t.dtype()));
}

Shape with_rows(const Shape& shape, std::int64_t rows) {
  Shape s = shape;
  s[0] = rows;
  return s;
}

// Rows of `src` at `indices` into a new tensor (indices already checked).
Tensor gather_rows(const Tensor& src, std::span<const std::int64_t> indices) {
  Tensor out = xg::empty(with_rows(src.shape(), static_cast<std::int64_t>(indices.size())),
                         {.dtype = src.dtype()});
  const std::int64_t rb = row_bytes(src);
  const auto* in = static_cast<const char*>(src.data_ptr());
  auto* o = static_cast<char*>(out.data_ptr());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    std::memcpy(o + static_cast<std::int64_t>(i) * rb, in + indices[i] * rb,
                static_cast<std::size_t>(rb));
  }
  return out;
}

Tensor slice_rows(const Tensor& src, std::int64_t start, std::int64_t stop) {
  Tensor out = xg::empty(with_rows(src.shape(), stop - start), {.dtype = src.dtype()});
  const std::int64_t rb = row_bytes(src);
  if (stop > start) {
    std::memcpy(out.data_ptr(), static_cast<const char*>(src.data_ptr()) + start * rb,
                static_cast<std::size_t>((stop - start) * rb));
  }
  return out;
}

std::vector<std::int64_t> iota(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), std::int64_t{0});
  return v;
}

std::uint64_t splitmix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::vector<std::int64_t> permutation(std::int64_t n, std::uint64_t seed) {
  std::vector<std::int64_t> v = iota(n);
  detail::Rng rng(seed);
  rng.shuffle(v);
  return v;
}

// Note [scalers]
// Both scalers are y = (x - shift) / divisor with one (shift, divisor) per feature
// position, or one pair for all values. Statistics are accumulated in double, two-pass
// for the variance (the one-pass formula cancels badly on pixel data with large means).
struct Stats {
  Shape shape;  // feature shape, or {1} for one pair over all values
  std::vector<double> shift, divisor;
};

template <class T, class Visit> void for_each_row(const Tensor& x, Visit visit) {
  const T* p = x.data_ptr<T>();
  const std::int64_t n = x.shape()[0];
  const std::int64_t f = n == 0 ? 0 : x.numel() / n;
  for (std::int64_t i = 0; i < n; ++i) visit(p + i * f, f);
}

Stats fit_stats(const char* op, const Dataset& train, ScalerOptions opts, bool standard) {
  if (train.size() == 0) {
    throw ValueError(std::string(op) + ": cannot fit on an empty dataset");
  }
  const Tensor& x = train.features();
  const Shape fshape = train.feature_shape();
  const std::int64_t f = xg::autograd::shape_numel(fshape);
  const std::size_t k = opts.per_feature ? static_cast<std::size_t>(f) : 1;
  // Position j of a row maps to statistic j (per feature) or 0 (global).
  const auto slot = [&](std::int64_t j) {
    return opts.per_feature ? static_cast<std::size_t>(j) : 0;
  };
  std::vector<double> a(k), b(k);
  xg::autograd::dispatch_float(op, x.dtype(), [&]<class T>() {
    if (standard) {
      const double count = static_cast<double>(train.size()) * (opts.per_feature ? 1.0 : f);
      for_each_row<T>(x, [&](const T* r, std::int64_t n) {
        for (std::int64_t j = 0; j < n; ++j) a[slot(j)] += r[j];
      });
      for (auto& m : a) m /= count;
      for_each_row<T>(x, [&](const T* r, std::int64_t n) {
        for (std::int64_t j = 0; j < n; ++j) {
          const double d = r[j] - a[slot(j)];
          b[slot(j)] += d * d;
        }
      });
      for (auto& v : b) {
        const double sd = std::sqrt(v / count);
        v = sd > 0.0 && std::isfinite(sd) ? sd : 1.0;
      }
    } else {
      std::vector<double> hi(k, -INFINITY);
      std::fill(a.begin(), a.end(), INFINITY);
      for_each_row<T>(x, [&](const T* r, std::int64_t n) {
        for (std::int64_t j = 0; j < n; ++j) {
          a[slot(j)] = std::min<double>(a[slot(j)], r[j]);
          hi[slot(j)] = std::max<double>(hi[slot(j)], r[j]);
        }
      });
      for (std::size_t j = 0; j < k; ++j) {
        const double range = hi[j] - a[j];
        b[j] = range > 0.0 && std::isfinite(range) ? range : 1.0;
      }
    }
  });
  return Stats{opts.per_feature ? fshape : Shape{1}, std::move(a), std::move(b)};
}

Tensor affine(const char* op, const Tensor& x, const Tensor& shift, const Tensor& divisor,
              bool per_feature) {
  xg::autograd::check_defined(op, x);
  if (!shift.defined()) throw ValueError(std::string(op) + ": the scaler has not been fitted");
  Shape fshape(x.shape().begin() + (x.dim() > 0 ? 1 : 0), x.shape().end());
  if (x.dim() < 1 || (per_feature && fshape != shift.shape())) {
    throw ShapeError(std::string(op) + ": fitted on samples of shape " + shape_str(shift.shape()) +
                     ", got features " + shape_str(x.shape()));
  }
  Tensor out = xg::empty(x.shape(), {.dtype = x.dtype()});
  const double* s = shift.data_ptr<double>();
  const double* d = divisor.data_ptr<double>();
  xg::autograd::dispatch_float(op, x.dtype(), [&]<class T>() {
    const T* in = x.data_ptr<T>();
    T* o = out.data_ptr<T>();
    const std::int64_t f = per_feature ? shift.numel() : x.numel();
    std::vector<T> sh(static_cast<std::size_t>(per_feature ? f : 1));
    std::vector<T> inv(sh.size());
    for (std::size_t j = 0; j < sh.size(); ++j) {
      sh[j] = static_cast<T>(s[j]);
      inv[j] = static_cast<T>(1.0 / d[j]);
    }
    if (!per_feature) {
      for (std::int64_t i = 0, n = x.numel(); i < n; ++i) o[i] = (in[i] - sh[0]) * inv[0];
      return;
    }
    for (std::int64_t base = 0; base < x.numel(); base += f) {
      for (std::int64_t j = 0; j < f; ++j) o[base + j] = (in[base + j] - sh[j]) * inv[j];
    }
  });
  return out;
}

Tensor to_tensor(const std::vector<double>& v, const Shape& shape) {
  return tensor(v, shape, {.dtype = Dtype::f64});
}

}  // namespace

// --- Dataset ------------------------------------------------------------------------------

Dataset::Dataset(Tensor features, Tensor targets, std::vector<std::string> class_names)
    : class_names_(std::move(class_names)) {
  xg::autograd::check_defined("Dataset", features);
  xg::autograd::check_defined("Dataset", targets);
  if (features.dim() < 1 || targets.dim() < 1) {
    throw ShapeError("Dataset: features and targets need a sample axis, got features " +
                     shape_str(features.shape()) + " and targets " + shape_str(targets.shape()));
  }
  if (features.shape()[0] != targets.shape()[0]) {
    throw ShapeError("Dataset: features " + shape_str(features.shape()) + " and targets " +
                     shape_str(targets.shape()) + " hold different numbers of samples");
  }
  if (!is_floating(features.dtype())) {
    throw DtypeError("Dataset: features must be f32 or f64, got " +
                     std::string(dtype_name(features.dtype())));
  }
  // A dataset holds data, not graph: detach so that batches never drag a graph along.
  features_ = features.detach();
  targets_ = targets.detach();
}

std::int64_t Dataset::size() const { return features_.defined() ? features_.shape()[0] : 0; }

Shape Dataset::feature_shape() const {
  if (!features_.defined()) return {};
  return Shape(features_.shape().begin() + 1, features_.shape().end());
}

std::int64_t Dataset::num_classes() const {
  if (!class_names_.empty()) return static_cast<std::int64_t>(class_names_.size());
  if (!targets_.defined()) return 0;
  if (targets_.dtype() == Dtype::i64) {
    const auto v = targets_.data<std::int64_t>();
    return v.empty() ? 0 : *std::max_element(v.begin(), v.end()) + 1;
  }
  return targets_.dim() == 2 ? targets_.shape()[1] : 0;
}

void Dataset::check_defined(const char* op) const {
  if (!features_.defined()) {
    throw ValueError(std::string(op) + ": the dataset is empty (default-constructed)");
  }
}

Batch Dataset::get(std::span<const std::int64_t> indices) const {
  check_defined("Dataset::get");
  const std::int64_t n = size();
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] < 0 || indices[i] >= n) {
      throw ValueError("Dataset::get: index " + std::to_string(indices[i]) + " (position " +
                       std::to_string(i) + ") is out of range for " + std::to_string(n) +
                       " samples");
    }
  }
  return Batch{gather_rows(features_, indices), gather_rows(targets_, indices)};
}

Batch Dataset::range(std::int64_t start, std::int64_t stop) const {
  check_defined("Dataset::range");
  if (start < 0 || stop < start || stop > size()) {
    throw ValueError("Dataset::range: [" + std::to_string(start) + ", " + std::to_string(stop) +
                     ") is not within [0, " + std::to_string(size()) + ")");
  }
  return Batch{slice_rows(features_, start, stop), slice_rows(targets_, start, stop)};
}

Dataset Dataset::subset(std::span<const std::int64_t> indices) const {
  Batch b = get(indices);
  return Dataset(std::move(b.x), std::move(b.y), class_names_);
}

Dataset Dataset::flatten() const {
  check_defined("Dataset::flatten");
  Shape flat{size(),
             size() == 0 ? xg::autograd::shape_numel(feature_shape()) : features_.numel() / size()};
  return Dataset(features_.view(flat), targets_, class_names_);
}

Dataset one_hot(const Dataset& ds, std::int64_t num_classes, Dtype dtype) {
  const Tensor& t = ds.targets();
  if (t.dtype() != Dtype::i64 || t.dim() != 1) {
    throw DtypeError("one_hot: needs 1-D i64 class targets, got " +
                     std::string(dtype_name(t.dtype())) + " targets of shape " +
                     shape_str(t.shape()));
  }
  if (!is_floating(dtype)) throw DtypeError("one_hot: the result dtype must be f32 or f64");
  const std::int64_t c = num_classes < 0 ? ds.num_classes() : num_classes;
  const auto labels = t.data<std::int64_t>();
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= c) {
      throw ValueError("one_hot: target " + std::to_string(labels[i]) + " of sample " +
                       std::to_string(i) + " is outside [0, " + std::to_string(c) + ")");
    }
  }
  Tensor out = zeros({ds.size(), c}, {.dtype = dtype});
  xg::autograd::dispatch_float("one_hot", dtype, [&]<class T>() {
    T* o = out.data_ptr<T>();
    for (std::size_t i = 0; i < labels.size(); ++i) {
      o[static_cast<std::int64_t>(i) * c + labels[i]] = T(1);
    }
  });
  return Dataset(ds.features(), out, ds.class_names());
}

// --- scalers ------------------------------------------------------------------------------

StandardScaler StandardScaler::fit(const Dataset& train, ScalerOptions opts) {
  Stats s = fit_stats("StandardScaler::fit", train, opts, /*standard=*/true);
  StandardScaler r;
  r.mean_ = to_tensor(s.shift, s.shape);
  r.scale_ = to_tensor(s.divisor, s.shape);
  r.per_feature_ = opts.per_feature;
  return r;
}

Tensor StandardScaler::transform(const Tensor& features) const {
  return affine("StandardScaler::transform", features, mean_, scale_, per_feature_);
}

Dataset StandardScaler::apply(const Dataset& ds) const {
  return Dataset(transform(ds.features()), ds.targets(), ds.class_names());
}

MinMaxScaler MinMaxScaler::fit(const Dataset& train, ScalerOptions opts) {
  Stats s = fit_stats("MinMaxScaler::fit", train, opts, /*standard=*/false);
  MinMaxScaler r;
  r.min_ = to_tensor(s.shift, s.shape);
  r.range_ = to_tensor(s.divisor, s.shape);
  r.per_feature_ = opts.per_feature;
  return r;
}

Tensor MinMaxScaler::transform(const Tensor& features) const {
  return affine("MinMaxScaler::transform", features, min_, range_, per_feature_);
}

Dataset MinMaxScaler::apply(const Dataset& ds) const {
  return Dataset(transform(ds.features()), ds.targets(), ds.class_names());
}

// --- splits -------------------------------------------------------------------------------

std::pair<Dataset, Dataset> train_val_split(const Dataset& ds, double val_fraction,
                                            std::uint64_t seed) {
  if (!(val_fraction >= 0.0 && val_fraction <= 1.0)) {
    throw ValueError("train_val_split: val_fraction must be in [0, 1], got " +
                     std::to_string(val_fraction));
  }
  const std::int64_t n = ds.size();
  const auto n_val = static_cast<std::int64_t>(std::llround(static_cast<double>(n) * val_fraction));
  const std::vector<std::int64_t> perm = permutation(n, seed);
  const std::span<const std::int64_t> all(perm);
  return {ds.subset(all.subspan(0, static_cast<std::size_t>(n - n_val))),
          ds.subset(all.subspan(static_cast<std::size_t>(n - n_val)))};
}

std::vector<Dataset> split(const Dataset& ds, const std::vector<double>& fractions,
                           std::uint64_t seed) {
  if (fractions.empty()) throw ValueError("split: needs at least one fraction");
  double total = 0.0;
  for (double f : fractions) {
    if (!(f >= 0.0 && f <= 1.0)) {
      throw ValueError("split: every fraction must be in [0, 1], got " + std::to_string(f));
    }
    total += f;
  }
  if (std::abs(total - 1.0) > 1e-6) {
    throw ValueError("split: fractions must sum to 1, got " + std::to_string(total));
  }
  const std::int64_t n = ds.size();
  std::vector<std::int64_t> sizes;
  std::int64_t assigned = 0;
  for (double f : fractions) {
    sizes.push_back(static_cast<std::int64_t>(std::floor(static_cast<double>(n) * f)));
    assigned += sizes.back();
  }
  for (std::size_t i = 0; assigned < n; i = (i + 1) % sizes.size(), ++assigned) ++sizes[i];

  const std::vector<std::int64_t> perm = permutation(n, seed);
  const std::span<const std::int64_t> all(perm);
  std::vector<Dataset> parts;
  std::size_t start = 0;
  for (std::int64_t s : sizes) {
    parts.push_back(ds.subset(all.subspan(start, static_cast<std::size_t>(s))));
    start += static_cast<std::size_t>(s);
  }
  return parts;
}

// --- DataLoader ---------------------------------------------------------------------------

DataLoader::DataLoader(Dataset ds, DataLoaderOptions opts) : ds_(std::move(ds)), opts_(opts) {
  if (opts_.batch_size < 1) {
    throw ValueError("DataLoader: batch_size must be >= 1, got " +
                     std::to_string(opts_.batch_size));
  }
  base_seed_ = opts_.seed ? *opts_.seed : random::next_u64();
}

std::int64_t DataLoader::size() const {
  const std::int64_t n = ds_.size(), b = opts_.batch_size;
  return opts_.drop_last ? n / b : (n + b - 1) / b;
}

DataLoader::Iterator DataLoader::begin() {
  ++epoch_;
  if (opts_.shuffle) {
    // Each epoch's order depends only on (seed, epoch): see Note [private data streams].
    order_ = permutation(ds_.size(),
                         splitmix(base_seed_ ^ splitmix(static_cast<std::uint64_t>(epoch_))));
  } else if (static_cast<std::int64_t>(order_.size()) != ds_.size()) {
    order_ = iota(ds_.size());
  }
  return Iterator(this, 0);
}

DataLoader::Iterator DataLoader::end() const { return Iterator(this, size()); }

Batch DataLoader::batch_at(std::int64_t index) const {
  const std::int64_t start = index * opts_.batch_size;
  const std::int64_t stop = std::min(start + opts_.batch_size, ds_.size());
  if (!opts_.shuffle) return ds_.range(start, stop);
  return ds_.get(std::span<const std::int64_t>(order_).subspan(
      static_cast<std::size_t>(start), static_cast<std::size_t>(stop - start)));
}

DataLoader::Iterator::Iterator(const DataLoader* loader, std::int64_t index)
    : loader_(loader), index_(index) {
  if (index_ < loader_->size()) batch_ = loader_->batch_at(index_);
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++index_;
  batch_ = index_ < loader_->size() ? loader_->batch_at(index_) : Batch{};
  return *this;
}

}  // namespace xg::data

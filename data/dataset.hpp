// Dataset, DataLoader, normalisation and splits.
//
//   auto train = xg::data::fashion_mnist("train", {.flatten = true});
//   auto [fit, val] = xg::data::train_val_split(train, 0.1, /*seed=*/1);
//   auto scaler = xg::data::StandardScaler::fit(fit);
//   xg::data::DataLoader loader(scaler.apply(fit), {.batch_size = 64, .shuffle = true});
//   for (int epoch = 0; epoch < 5; ++epoch)
//     for (const auto& [x, y] : loader) { ... }   // x (64, 784) f32, y (64) i64
//
// A Dataset is N samples: features (N, ...) and targets (N, ...) whose first axes agree.
// Features are float (f32 or f64); targets are i64 class indices (N) or float values
// (regression, or one-hot rows). Like Tensor, a Dataset is a cheap handle: copying it
// aliases the same tensors. Nothing here records a graph.
//
// Randomness (shuffling, splits) never touches the library's global generator: each
// loader and split draws from a private stream, seeded explicitly or, for a loader
// without a seed, from one draw of the global generator when it is constructed (so
// xg::manual_seed still makes a whole program repeatable).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xg::data {

struct Batch {
  Tensor x;  // (B, ...) features
  Tensor y;  // (B, ...) targets
};

class Dataset {
 public:
  Dataset() = default;
  // Throws ShapeError when the first axes differ or features are 0-D, DtypeError when
  // the features are i64. class_names, if given, names the classes of i64 targets.
  Dataset(Tensor features, Tensor targets, std::vector<std::string> class_names = {});

  std::int64_t size() const;  // N
  const Tensor& features() const { return features_; }
  const Tensor& targets() const { return targets_; }
  // The shape of one sample's features, e.g. (28, 28).
  Shape feature_shape() const;
  // Number of classes: class_names().size() if set, else max target + 1 for i64
  // targets, the width of 2-D float targets (one-hot), 0 for 1-D float targets.
  std::int64_t num_classes() const;
  const std::vector<std::string>& class_names() const { return class_names_; }

  // The samples at `indices`, in that order, as new tensors (rows copied with memcpy).
  // Throws ValueError naming an index outside [0, N).
  Batch get(std::span<const std::int64_t> indices) const;
  Batch get(const std::vector<std::int64_t>& indices) const {
    return get(std::span<const std::int64_t>(indices));
  }
  // The samples [start, stop), as new tensors.
  Batch range(std::int64_t start, std::int64_t stop) const;
  // A new Dataset of the samples at `indices` (copied).
  Dataset subset(std::span<const std::int64_t> indices) const;
  Dataset subset(const std::vector<std::int64_t>& indices) const {
    return subset(std::span<const std::int64_t>(indices));
  }
  // Features reshaped to (N, prod(feature_shape)), sharing the values (no copy).
  Dataset flatten() const;

 private:
  void check_defined(const char* op) const;

  Tensor features_;
  Tensor targets_;
  std::vector<std::string> class_names_;
};

// The i64 targets replaced by one-hot rows (N, num_classes) of `dtype` (f32 or f64);
// num_classes = -1 uses ds.num_classes(). ValueError for a target outside the classes;
// DtypeError if the targets are not i64.
Dataset one_hot(const Dataset& ds, std::int64_t num_classes = -1, Dtype dtype = Dtype::f32);

// --- normalisation: fit on the training set, apply the same numbers to the others ------

struct ScalerOptions {
  // One mean/std (or min/max) per feature position (true), or one over all values.
  bool per_feature = true;
};

// x -> (x - mean) / std with the population std (ddof 0). A constant feature gets std 1
// (it becomes 0), as scikit-learn's StandardScaler does.
class StandardScaler {
 public:
  static StandardScaler fit(const Dataset& train, ScalerOptions opts = {});
  Dataset apply(const Dataset& ds) const;
  Tensor transform(const Tensor& features) const;  // (B, ...) with the fitted feature shape
  const Tensor& mean() const { return mean_; }     // f64, the feature shape (or (1))
  const Tensor& scale() const { return scale_; }   // f64, as mean()

 private:
  Tensor mean_, scale_;
  bool per_feature_ = true;
};

// x -> (x - min) / (max - min), so the training data lies in [0, 1]; a constant feature
// becomes 0. Later data may fall outside [0, 1] (it is not clipped).
class MinMaxScaler {
 public:
  static MinMaxScaler fit(const Dataset& train, ScalerOptions opts = {});
  Dataset apply(const Dataset& ds) const;
  Tensor transform(const Tensor& features) const;
  const Tensor& min() const { return min_; }
  const Tensor& range() const { return range_; }

 private:
  Tensor min_, range_;
  bool per_feature_ = true;
};

// --- splits -----------------------------------------------------------------------------

// A random partition into a training and a validation part; the validation part holds
// round(N * val_fraction) samples. val_fraction in [0, 1] (ValueError otherwise).
std::pair<Dataset, Dataset> train_val_split(const Dataset& ds, double val_fraction,
                                            std::uint64_t seed);

// A random partition into parts of the given fractions (each in [0, 1], summing to 1
// within 1e-6, ValueError otherwise). Sizes are floor(N * f), with the remainder given
// one by one to the first parts, as PyTorch's random_split. Parts are disjoint and
// together hold every sample once.
std::vector<Dataset> split(const Dataset& ds, const std::vector<double>& fractions,
                           std::uint64_t seed);

// --- DataLoader -------------------------------------------------------------------------

struct DataLoaderOptions {
  std::int64_t batch_size = 64;
  bool shuffle = false;                              // a new random order every epoch
  bool drop_last = false;                            // skip a last batch smaller than batch_size
  std::optional<std::uint64_t> seed = std::nullopt;  // unset: drawn from the global generator
};

// Iterates over a Dataset in batches; every range-for over it (every begin()) is one
// epoch, with a fresh order when shuffling. For a given seed the sequence of epoch orders
// is always the same. The loader holds the dataset by handle (it may outlive the
// original variable).
class DataLoader {
 public:
  DataLoader(Dataset ds, DataLoaderOptions opts = {});

  class Iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    const Batch& operator*() const { return batch_; }
    const Batch* operator->() const { return &batch_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::int64_t index);
    const DataLoader* loader_ = nullptr;
    std::int64_t index_ = 0;
    Batch batch_;
  };

  // Starts a new epoch (reshuffles when shuffle is on).
  Iterator begin();
  Iterator end() const;

  std::int64_t size() const;                     // batches per epoch
  std::int64_t epoch() const { return epoch_; }  // epochs started so far
  const Dataset& dataset() const { return ds_; }
  const DataLoaderOptions& options() const { return opts_; }
  // The sample order of the current epoch.
  const std::vector<std::int64_t>& order() const { return order_; }

 private:
  Batch batch_at(std::int64_t index) const;

  Dataset ds_;
  DataLoaderOptions opts_;
  std::uint64_t base_seed_ = 0;  // epoch e shuffles with a stream seeded by (base, e)
  std::vector<std::int64_t> order_;
  std::int64_t epoch_ = 0;
};

}  // namespace xg::data

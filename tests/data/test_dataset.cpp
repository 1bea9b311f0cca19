// Dataset, DataLoader, scalers, one-hot and splits.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "support/check.hpp"
#include "xgrad/data/dataset.hpp"

using namespace xg;
using namespace xg::data;
using xg::test::check_throws;
using xg::test::check_values;

namespace {

// n samples of shape (2, 2): sample i holds 4i, 4i+1, 4i+2, 4i+3; target i % 3.
Dataset counting(std::int64_t n) {
  std::vector<double> f(static_cast<std::size_t>(4 * n));
  std::iota(f.begin(), f.end(), 0.0);
  std::vector<std::int64_t> t(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) t[static_cast<std::size_t>(i)] = i % 3;
  return Dataset(tensor(f, {n, 2, 2}), tensor_i64(t, {n}));
}

// The sample ids (feature value / 4) of a batch.
std::vector<std::int64_t> ids(const Batch& b) {
  std::vector<std::int64_t> out;
  const auto v = b.x.to_vector<double>();
  for (std::size_t i = 0; i < v.size(); i += 4) out.push_back(static_cast<std::int64_t>(v[i] / 4));
  return out;
}

std::vector<std::int64_t> epoch_ids(DataLoader& loader) {
  std::vector<std::int64_t> out;
  for (const auto& b : loader) {
    const auto v = ids(b);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

std::vector<std::int64_t> sample_ids(const Dataset& ds) { return ids(ds.range(0, ds.size())); }

}  // namespace

TEST_CASE("Dataset: size, shapes, get and range copy the right rows") {
  Dataset ds = counting(5);
  CHECK(ds.size() == 5);
  CHECK(ds.feature_shape() == Shape{2, 2});
  CHECK(ds.num_classes() == 3);
  Batch b = ds.get({4, 0, 4});
  CHECK(b.x.shape() == Shape{3, 2, 2});
  check_values(b.x, {16, 17, 18, 19, 0, 1, 2, 3, 16, 17, 18, 19});
  CHECK(b.y.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 1});
  Batch r = ds.range(1, 3);
  check_values(r.x, {4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(ds.range(2, 2).x.shape() == Shape{0, 2, 2});
  // A copy, not a view: writing to the batch leaves the dataset alone.
  b.x.mutable_data<float>()[0] = -1;
  CHECK(ds.features().data<float>()[16] == 16.0f);
  CHECK(ds.flatten().features().shape() == Shape{5, 4});
}

TEST_CASE("Dataset: bad construction and bad indices are reported") {
  check_throws<ShapeError>(
      [] {
        Dataset(zeros({3, 2}), tensor_i64({0, 1}, {2}));
      },
      {"Dataset", "(3, 2)", "(2)"});
  check_throws<DtypeError>(
      [] {
        Dataset(tensor_i64({0, 1}, {2}), tensor_i64({0, 1}, {2}));
      },
      {"Dataset", "i64"});
  check_throws<ShapeError>([] { Dataset(scalar_tensor(1.0), tensor_i64({0}, {1})); },
                           {"Dataset", "()"});
  Dataset ds = counting(3);
  check_throws<ValueError>([&] { ds.get({0, 3}); }, {"Dataset::get", "index 3", "3 samples"});
  check_throws<ValueError>([&] { ds.get({-1}); }, {"Dataset::get", "index -1"});
  check_throws<ValueError>([&] { ds.range(2, 4); }, {"Dataset::range", "[2, 4)"});
  check_throws<ValueError>([] { Dataset().get(std::vector<std::int64_t>{}); },
                           {"Dataset::get", "empty"});
}

TEST_CASE("Dataset: features that require grad are detached") {
  Tensor f = ones({2, 3}, {.requires_grad = true});
  Dataset ds(f, tensor({1.0, 2.0}, {2}));
  CHECK_FALSE(ds.features().requires_grad());
  CHECK_FALSE(ds.get({1}).x.requires_grad());
  CHECK(ds.num_classes() == 0);  // float targets: regression
}

TEST_CASE("DataLoader: batch counts with and without drop_last") {
  Dataset ds = counting(10);
  DataLoader keep(ds, {.batch_size = 4});
  CHECK(keep.size() == 3);
  std::vector<std::int64_t> sizes;
  for (const auto& b : keep) sizes.push_back(b.x.shape()[0]);
  CHECK(sizes == std::vector<std::int64_t>{4, 4, 2});
  CHECK(epoch_ids(keep) == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});

  DataLoader drop(ds, {.batch_size = 4, .drop_last = true});
  CHECK(drop.size() == 2);
  sizes.clear();
  for (const auto& [x, y] : drop) {
    sizes.push_back(x.shape()[0]);
    CHECK(y.shape() == Shape{4});
  }
  CHECK(sizes == std::vector<std::int64_t>{4, 4});

  DataLoader exact(counting(8), {.batch_size = 4, .drop_last = true});
  CHECK(exact.size() == 2);
  DataLoader big(counting(3), {.batch_size = 64});
  CHECK(big.size() == 1);
  DataLoader big_drop(counting(3), {.batch_size = 64, .drop_last = true});
  CHECK(big_drop.size() == 0);
  CHECK(epoch_ids(big_drop).empty());
  DataLoader none(Dataset(), {});
  CHECK(none.size() == 0);
  CHECK(epoch_ids(none).empty());
  check_throws<ValueError>([&] { DataLoader(ds, {.batch_size = 0}); },
                           {"DataLoader", "batch_size", "0"});
}

TEST_CASE("DataLoader: shuffling is a permutation, fixed by the seed, new every epoch") {
  Dataset ds = counting(50);
  DataLoader a(ds, {.batch_size = 7, .shuffle = true, .seed = 123});
  DataLoader b(ds, {.batch_size = 7, .shuffle = true, .seed = 123});
  DataLoader c(ds, {.batch_size = 7, .shuffle = true, .seed = 124});
  const auto a1 = epoch_ids(a), a2 = epoch_ids(a), a3 = epoch_ids(a);
  const auto b1 = epoch_ids(b), b2 = epoch_ids(b);
  const auto c1 = epoch_ids(c);
  std::vector<std::int64_t> sorted = a1;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> all(50);
  std::iota(all.begin(), all.end(), 0);
  CHECK(sorted == all);  // every sample once
  CHECK(a1 != all);      // actually shuffled
  CHECK(a1 == b1);       // same seed, same epochs
  CHECK(a2 == b2);
  CHECK(a1 != a2);  // a new order every epoch
  CHECK(a2 != a3);
  CHECK(a1 != c1);  // another seed, another order
  CHECK(a.epoch() == 3);
  // Targets travel with their features.
  for (const auto& batch : a) {
    const auto id = ids(batch);
    const auto y = batch.y.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < id.size(); ++i) CHECK(y[i] == id[i] % 3);
  }
}

TEST_CASE("DataLoader: without a seed it follows manual_seed, and leaves the global stream") {
  Dataset ds = counting(30);
  manual_seed(7);
  DataLoader a(ds, {.batch_size = 5, .shuffle = true});
  const double after_a = rand({1}).item();
  manual_seed(7);
  DataLoader b(ds, {.batch_size = 5, .shuffle = true});
  CHECK(epoch_ids(a) == epoch_ids(b));
  // Iterating b drew nothing from the global generator: the next draw is as after a.
  CHECK(rand({1}).item() == after_a);
}

TEST_CASE("one_hot: class targets become float rows") {
  Dataset ds(zeros({3, 1}), tensor_i64({2, 0, 1}, {3}));
  Dataset oh = one_hot(ds);
  CHECK(oh.targets().shape() == Shape{3, 3});
  CHECK(oh.targets().dtype() == f32);
  check_values(oh.targets(), {0, 0, 1, 1, 0, 0, 0, 1, 0});
  CHECK(one_hot(ds, 4, f64).targets().shape() == Shape{3, 4});
  CHECK(oh.num_classes() == 3);
  check_throws<ValueError>([&] { one_hot(ds, 2); }, {"one_hot", "target 2", "[0, 2)"});
  check_throws<DtypeError>([&] { one_hot(oh); }, {"one_hot", "f32"});
}

TEST_CASE("StandardScaler: fit on train, apply to other data") {
  // Two features: column 0 = 1, 2, 3, 4 (mean 2.5, population std sqrt(1.25));
  // column 1 constant 5 (std 0 -> scale 1, as scikit-learn). Values by hand.
  Dataset train(tensor({1, 5, 2, 5, 3, 5, 4, 5}, {4, 2}), tensor_i64({0, 1, 0, 1}, {4}));
  auto s = StandardScaler::fit(train);
  check_values(s.mean(), {2.5, 5.0});
  check_values(s.scale(), {std::sqrt(1.25), 1.0});
  const double sd = std::sqrt(1.25);
  check_values(s.apply(train).features(), {-1.5 / sd, 0, -0.5 / sd, 0, 0.5 / sd, 0, 1.5 / sd, 0},
               1e-6);
  Dataset other(tensor({6.5, 7}, {1, 2}), tensor_i64({0}, {1}));
  check_values(s.apply(other).features(), {4.0 / sd, 2.0}, 1e-6);
  CHECK(s.apply(other).targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{0});

  // One mean and std over every value (Python's statistics.pstdev of the 8 values).
  auto g = StandardScaler::fit(train, {.per_feature = false});
  check_values(g.mean(), {3.75});
  check_values(g.scale(), {1.479019945774904});
  check_values(g.transform(tensor({3.75, 5.229019945774904}, {1, 2})), {0.0, 1.0}, 1e-6);

  check_throws<ShapeError>(
      [&] {
        s.transform(zeros({2, 3}));
      },
      {"StandardScaler::transform", "(2)", "(2, 3)"});
  check_throws<ValueError>(
      [] {
        StandardScaler::fit(Dataset(zeros({0, 2}), tensor_i64({}, {0})));
      },
      {"StandardScaler::fit", "empty"});
}

TEST_CASE("MinMaxScaler: training data lands in [0, 1]") {
  Dataset train(tensor({-1, 5, 1, 5, 3, 5}, {3, 2}), tensor_i64({0, 1, 0}, {3}));
  auto s = MinMaxScaler::fit(train);
  check_values(s.min(), {-1, 5});
  check_values(s.range(), {4, 1});
  check_values(s.apply(train).features(), {0, 0, 0.5, 0, 1, 0});
  check_values(s.transform(tensor({5, 6}, {1, 2})), {1.5, 1.0});
  auto g = MinMaxScaler::fit(train, {.per_feature = false});
  check_values(g.apply(train).features(), {0, 1, 2.0 / 6, 1, 4.0 / 6, 1});
}

TEST_CASE("split: sizes, disjointness, coverage and determinism") {
  Dataset ds = counting(103);
  auto [train, val] = train_val_split(ds, 0.2, 5);
  CHECK(val.size() == 21);  // round(20.6)
  CHECK(train.size() == 82);
  std::set<std::int64_t> seen;
  for (auto id : sample_ids(train)) CHECK(seen.insert(id).second);
  for (auto id : sample_ids(val)) CHECK(seen.insert(id).second);
  CHECK(seen.size() == 103);
  auto [train2, val2] = train_val_split(ds, 0.2, 5);
  CHECK(sample_ids(val2) == sample_ids(val));
  auto [train3, val3] = train_val_split(ds, 0.2, 6);
  CHECK(sample_ids(val3) != sample_ids(val));
  CHECK(train_val_split(ds, 0.0, 1).second.size() == 0);
  CHECK(train_val_split(ds, 1.0, 1).first.size() == 0);

  // floor(103 * f) = 72, 20, 10 -> 102; the one left over goes to the first part.
  auto parts = split(ds, {0.7, 0.2, 0.1}, 9);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].size() == 73);
  CHECK(parts[1].size() == 20);
  CHECK(parts[2].size() == 10);
  seen.clear();
  for (const auto& p : parts) {
    for (auto id : sample_ids(p)) CHECK(seen.insert(id).second);
  }
  CHECK(seen.size() == 103);
  // Targets stay with their samples.
  for (const auto& p : parts) {
    const auto id = sample_ids(p);
    const auto y = p.targets().to_vector<std::int64_t>();
    for (std::size_t i = 0; i < id.size(); ++i) CHECK(y[i] == id[i] % 3);
  }

  check_throws<ValueError>([&] { train_val_split(ds, 1.5, 0); }, {"train_val_split", "1.5"});
  check_throws<ValueError>([&] { split(ds, {0.5, 0.4}, 0); }, {"split", "sum to 1", "0.9"});
  check_throws<ValueError>([&] { split(ds, {1.2, -0.2}, 0); }, {"split", "[0, 1]"});
  check_throws<ValueError>([&] { split(ds, {}, 0); }, {"split"});
}

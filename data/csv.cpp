// CSV reading: one pass over the lines, fields split by a small quote-aware scanner,
// numbers parsed with std::from_chars (locale independent, exact round trip).
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>

#include "data/datasets.hpp"
#include "data/detail/files.hpp"

namespace xg::data {

namespace {

struct Field {
  std::string text;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits one line into fields. A field may be quoted ("a,b" and "say ""hi"""); spaces
// around a field are dropped. Returns an error text instead for an unterminated quote.
std::optional<std::string> split_line(std::string_view line, char delim,
                                      std::vector<Field>& fields) {
  fields.clear();
  std::size_t i = 0;
  for (;;) {
    Field f;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t') && line[i] != delim) ++i;
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) return "unterminated quoted field";
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            f.text += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        f.text += line[i++];
      }
      while (i < line.size() && line[i] != delim) {
        if (line[i] != ' ' && line[i] != '\t') return "text after a closing quote";
        ++i;
      }
    } else {
      const std::size_t end = std::min(line.find(delim, i), line.size());
      f.text = std::string(trim(line.substr(i, end - i)));
      i = end;
    }
    fields.push_back(std::move(f));
    if (i >= line.size()) return std::nullopt;
    ++i;  // the delimiter
  }
}

std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string quoted(const std::string& s) {
  std::string shown = s.size() > 40 ? s.substr(0, 40) + "..." : s;
  return "\"" + shown + "\"";
}

struct Reader {
  const std::string& path;
  std::int64_t line = 0;
  [[noreturn]] void fail(std::int64_t at_line, std::size_t column, const std::string& what) const {
    throw FormatError(path + ": line " + std::to_string(at_line) + ", column " +
                      std::to_string(column + 1) + ": " + what);
  }
  [[noreturn]] void fail_line(std::int64_t at_line, const std::string& what) const {
    throw FormatError(path + ": line " + std::to_string(at_line) + ": " + what);
  }
};

// A feature (what = "") or regression target (what = "target ") as an f32 value: a
// number, finite, and within the float range (a larger double would become inf).
float value_of(const Reader& r, std::size_t column, const std::string& text,
               const std::string& what) {
  const auto v = parse_number(text);
  const std::string shown = what + quoted(text);
  if (!v) {
    r.fail(r.line, column,
           text.empty() ? what + "empty field (missing values are not supported)"
                        : shown + " is not a number");
  }
  if (!std::isfinite(*v)) {
    r.fail(r.line, column, shown + " is not finite (missing values are not supported)");
  }
  if (std::abs(*v) > std::numeric_limits<float>::max()) {
    r.fail(r.line, column, shown + " is beyond the range of a 32-bit float (about 3.4e38)");
  }
  return static_cast<float>(*v);
}

void check_options(const CsvOptions& opts) {
  if (opts.delimiter == '"' || opts.delimiter == '\n' || opts.delimiter == '\r') {
    throw ValueError("csv: the delimiter cannot be a quote or a line break");
  }
  if (opts.max_classes < 1) {
    throw ValueError("csv: max_classes must be >= 1, got " + std::to_string(opts.max_classes));
  }
  if (opts.num_classes < 0) {
    throw ValueError("csv: num_classes must be >= 0, got " + std::to_string(opts.num_classes));
  }
  const auto named = static_cast<std::int64_t>(opts.class_names.size());
  if (named > 0 && opts.num_classes != 0 && opts.num_classes != named) {
    throw ValueError("csv: " + std::to_string(named) + " class names but num_classes " +
                     std::to_string(opts.num_classes));
  }
  const std::int64_t given = std::max(named, opts.num_classes);
  if (given > opts.max_classes) {
    throw ValueError("csv: " + std::to_string(given) + " classes given, more than max_classes " +
                     std::to_string(opts.max_classes));
  }
  std::set<std::string> seen;
  for (const auto& name : opts.class_names) {
    if (!seen.insert(name).second) {
      throw ValueError("csv: the class name " + quoted(name) + " is given twice");
    }
  }
}

// "a, b, c" (the first ten names, then how many there are).
std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t k = 0; k < names.size() && k < 10; ++k) {
    out += (k > 0 ? ", " : "") + (names[k].size() > 40 ? names[k].substr(0, 40) + "..." : names[k]);
  }
  if (names.size() > 10) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

// A label as a class index: a non-negative integer (below 2^53, exact in a double).
std::optional<std::int64_t> class_index(const std::string& label) {
  const auto v = parse_number(label);
  if (!v || !(*v >= 0.0 && *v == std::floor(*v) && *v < 9.0e15)) return std::nullopt;
  return static_cast<std::int64_t>(*v);
}

struct Classes {
  std::vector<std::int64_t> y;     // one class index per label
  std::vector<std::string> names;  // empty for class indices
};

// The labels of the label column (read at `lines`) as classes: the given ones
// (opts.class_names or opts.num_classes), or those the labels fix themselves.
Classes read_classes(const Reader& r, std::size_t column, const std::vector<std::string>& labels,
                     const std::vector<std::int64_t>& lines, const CsvOptions& opts) {
  auto fail = [&](std::size_t i, const std::string& why) {
    r.fail(lines[i], column, "label " + quoted(labels[i]) + " " + why);
  };
  Classes out;
  out.y.resize(labels.size());
  const std::string bound = "; a file may have at most " + std::to_string(opts.max_classes) +
                            " classes (CsvOptions::max_classes)";
  std::map<std::string, std::int64_t> index;
  if (!opts.class_names.empty()) {
    for (std::size_t k = 0; k < opts.class_names.size(); ++k) {
      index[opts.class_names[k]] = static_cast<std::int64_t>(k);
    }
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const auto it = index.find(labels[i]);
      if (it == index.end()) {
        fail(i, "is not one of the " + std::to_string(index.size()) +
                    " named classes: " + list_names(opts.class_names));
      }
      out.y[i] = it->second;
    }
    out.names = opts.class_names;
    return out;
  }
  if (opts.num_classes > 0) {
    const std::string range = "0.." + std::to_string(opts.num_classes - 1);
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const auto k = class_index(labels[i]);
      if (!k) fail(i, "is not a class index; the classes are the indices " + range);
      if (*k >= opts.num_classes) fail(i, "is not one of the classes " + range);
      out.y[i] = *k;
    }
    return out;
  }
  // The file fixes its classes: indices when every label is a number, names otherwise.
  bool numeric = true;
  for (const auto& l : labels) numeric = numeric && parse_number(l).has_value();
  if (numeric) {
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const auto k = class_index(labels[i]);
      if (!k) {
        fail(i,
             "is not a class index (a non-negative integer); for numeric targets use "
             "CsvOptions::regression");
      }
      if (*k >= opts.max_classes)
        fail(i, "would make " + std::to_string(*k + 1) + " classes" + bound);
      out.y[i] = *k;
    }
    return out;
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (index.emplace(labels[i], 0).second &&
        static_cast<std::int64_t>(index.size()) > opts.max_classes) {
      fail(i, "is one class too many" + bound);
    }
  }
  for (auto& [name, k] : index) {  // sorted order
    k = static_cast<std::int64_t>(out.names.size());
    out.names.push_back(name);
  }
  for (std::size_t i = 0; i < labels.size(); ++i) out.y[i] = index.at(labels[i]);
  return out;
}

}  // namespace

Dataset csv(const std::string& path, const CsvOptions& opts) {
  detail::check_regular_file("csv", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::system_error(errno, std::generic_category(), "csv: cannot open " + path);
  }
  return csv(in, path, opts);
}

Dataset csv(std::istream& in, const std::string& path, const CsvOptions& opts) {
  check_options(opts);
  Reader r{path};
  std::vector<Field> fields;
  std::string text;
  std::size_t ncols = 0, label = 0;
  bool first = true;
  std::vector<float> features;
  std::vector<std::string> labels;       // raw label fields (classification)
  std::vector<std::int64_t> label_line;  // their line numbers, for errors
  std::vector<float> values;             // regression targets

  while (std::getline(in, text)) {
    ++r.line;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (r.line == 1 && text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);  // UTF-8 BOM
    if (trim(text).empty()) continue;
    if (auto err = split_line(text, opts.delimiter, fields)) r.fail_line(r.line, *err);

    if (first) {
      first = false;
      ncols = fields.size();
      const auto n = static_cast<std::int64_t>(ncols);
      const std::int64_t lc = opts.label_column < 0 ? n + opts.label_column : opts.label_column;
      if (lc < 0 || lc >= n) {
        throw ValueError("csv: label_column " + std::to_string(opts.label_column) +
                         " is out of range for " + path + ", which has " + std::to_string(n) +
                         " column(s)");
      }
      if (ncols < 2) {
        r.fail_line(r.line, "1 column; need at least one feature column and a label column");
      }
      label = static_cast<std::size_t>(lc);
      bool header = opts.header == CsvHeader::present;
      if (opts.header == CsvHeader::detect) {
        for (std::size_t c = 0; c < ncols && !header; ++c) {
          header = c != label && !parse_number(fields[c].text);
        }
      }
      if (header) continue;
    }
    if (fields.size() != ncols) {
      r.fail_line(r.line, std::to_string(fields.size()) + " fields, expected " +
                              std::to_string(ncols) + " as in the first row");
    }
    for (std::size_t c = 0; c < ncols; ++c) {
      if (c == label) {
        if (opts.regression) {
          values.push_back(value_of(r, c, fields[c].text, "target "));
        } else {
          labels.push_back(fields[c].text);
          label_line.push_back(r.line);
        }
        continue;
      }
      features.push_back(value_of(r, c, fields[c].text, ""));
    }
  }
  if (in.bad()) {
    throw std::system_error(EIO, std::generic_category(), "csv: cannot read " + path);
  }
  const std::int64_t rows =
      ncols < 2 ? 0 : static_cast<std::int64_t>(features.size() / (ncols - 1));
  if (rows == 0) throw FormatError(path + ": no data rows");
  const auto nf = static_cast<std::int64_t>(ncols - 1);
  std::vector<double> feat(features.begin(), features.end());
  Tensor x = tensor(feat, {rows, nf});
  if (opts.regression) {
    return Dataset(x, tensor(std::vector<double>(values.begin(), values.end()), {rows}));
  }

  Classes classes = read_classes(r, label, labels, label_line, opts);
  return Dataset(x, tensor_i64(classes.y, {rows}), std::move(classes.names));
}

}  // namespace xg::data

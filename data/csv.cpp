// CSV reading: one pass over the lines, fields split by a small quote-aware scanner,
// numbers parsed with std::from_chars (locale independent, exact round trip).
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
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

}  // namespace

Dataset csv(const std::string& path, const CsvOptions& opts) {
  if (opts.delimiter == '"' || opts.delimiter == '\n' || opts.delimiter == '\r') {
    throw ValueError("csv: the delimiter cannot be a quote or a line break");
  }
  detail::check_regular_file("csv", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::system_error(errno, std::generic_category(), "csv: cannot open " + path);
  }
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
          const auto v = parse_number(fields[c].text);
          if (!v) r.fail(r.line, c, "target " + quoted(fields[c].text) + " is not a number");
          if (!std::isfinite(*v))
            r.fail(r.line, c, "target " + quoted(fields[c].text) + " is not finite");
          values.push_back(static_cast<float>(*v));
        } else {
          labels.push_back(fields[c].text);
          label_line.push_back(r.line);
        }
        continue;
      }
      const auto v = parse_number(fields[c].text);
      if (!v) {
        r.fail(r.line, c,
               fields[c].text.empty()
                   ? std::string("empty field (missing values are not supported)")
                   : quoted(fields[c].text) + " is not a number");
      }
      if (!std::isfinite(*v)) {
        r.fail(r.line, c,
               quoted(fields[c].text) + " is not finite (missing values are not supported)");
      }
      features.push_back(static_cast<float>(*v));
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

  // Class labels: indices when every label is a number, names otherwise.
  bool numeric = true;
  for (const auto& l : labels) numeric = numeric && parse_number(l).has_value();
  std::vector<std::int64_t> y(labels.size());
  std::vector<std::string> names;
  if (numeric) {
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const double v = *parse_number(labels[i]);
      if (!(v >= 0.0 && v == std::floor(v) && v < 9.0e15)) {
        r.fail(label_line[i], label,
               "label " + quoted(labels[i]) +
                   " is not a class index (a non-negative integer); for numeric targets use "
                   "CsvOptions::regression");
      }
      y[i] = static_cast<std::int64_t>(v);
    }
  } else {
    names = labels;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::map<std::string, std::int64_t> index;
    for (std::size_t k = 0; k < names.size(); ++k) index[names[k]] = static_cast<std::int64_t>(k);
    for (std::size_t i = 0; i < labels.size(); ++i) y[i] = index[labels[i]];
  }
  return Dataset(x, tensor_i64(y, {rows}), std::move(names));
}

}  // namespace xg::data

// The confusion matrix heat map (see charts.hpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "tools/plot/charts.hpp"
#include "tools/plot/svg.hpp"

namespace xg::plot {

namespace {

constexpr double kTitleY = 28;
constexpr double kFrameTop = 48;
constexpr double kAxisTitleX = 18;  // centre of the rotated "True"
constexpr std::size_t kNameChars = 18;
constexpr double kBarWidth = 16;
constexpr int kBarSlices = 64;

void validate(const std::vector<std::vector<std::int64_t>>& counts,
              const std::vector<std::string>& class_names) {
  const std::size_t c = counts.size();
  for (std::size_t t = 0; t < c; ++t) {
    if (counts[t].size() != c) {
      throw std::invalid_argument("confusion_matrix_chart: counts must be square: " +
                                  std::to_string(c) + " rows, but row " + std::to_string(t) +
                                  " has " + std::to_string(counts[t].size()) + " columns");
    }
    for (std::size_t p = 0; p < c; ++p) {
      if (counts[t][p] < 0) {
        throw std::invalid_argument("confusion_matrix_chart: negative count " +
                                    std::to_string(counts[t][p]) + " at row " + std::to_string(t) +
                                    ", column " + std::to_string(p));
      }
    }
  }
  if (!class_names.empty() && class_names.size() != c) {
    throw std::invalid_argument("confusion_matrix_chart: " + std::to_string(class_names.size()) +
                                " class names for a " + std::to_string(c) + " x " +
                                std::to_string(c) + " matrix");
  }
}

std::string cell_text(double value, std::int64_t count, bool normalize) {
  if (!normalize) return std::to_string(count);
  if (!std::isfinite(value)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", value);
  return buf;
}

}  // namespace

std::string render_confusion_matrix_chart(const std::vector<std::vector<std::int64_t>>& counts,
                                          const std::vector<std::string>& class_names,
                                          bool normalize, std::string_view title) {
  validate(counts, class_names);
  const std::size_t c = counts.size();
  const double n = static_cast<double>(c);

  std::vector<std::string> names(c), shown(c);
  for (std::size_t i = 0; i < c; ++i) {
    names[i] = class_names.empty() ? std::to_string(i) : class_names[i];
    shown[i] = ellipsize(names[i], kNameChars);
  }

  // Cell values: counts, or each row divided by its sum (NaN for an empty row).
  std::vector<std::vector<double>> value(c, std::vector<double>(c));
  double vmax = normalize ? 1.0 : 0.0;
  for (std::size_t t = 0; t < c; ++t) {
    double row = 0;
    for (std::int64_t v : counts[t]) row += static_cast<double>(v);
    for (std::size_t p = 0; p < c; ++p) {
      const double v = static_cast<double>(counts[t][p]);
      value[t][p] = !normalize ? v : row > 0 ? v / row : std::nan("");
      if (!normalize) vmax = std::max(vmax, v);
    }
  }
  if (vmax <= 0) vmax = 1;  // all zeros: everything at the bottom of the scale

  // Layout. Cells shrink with the class count; labels shrink with the cells, and every
  // k-th is shown when even that is too small.
  const double cell = c == 0 ? 64 : std::clamp(std::floor(480 / n), 4.0, 64.0);
  const double label_font = std::clamp(cell * 0.8, 7.0, 12.0);
  const std::size_t label_every =
      cell >= label_font ? 1 : static_cast<std::size_t>(std::ceil(label_font / cell));
  double label_w = 0;
  for (const auto& s : shown) label_w = std::max(label_w, text_width(s, label_font));
  // Predicted-class labels turn 45 degrees when they are wider than a cell.
  const bool rotate = label_w > cell * static_cast<double>(label_every) - 4;
  const double x_label_h = rotate ? label_w * 0.71 + label_font + 8 : label_font + 10;

  Frame frame;
  frame.left =
      std::max(kAxisTitleX + 14 + label_w + 10, rotate ? label_w * 0.71 - cell / 2 + 16 : 0.0);
  frame.top = kFrameTop;
  frame.width = frame.height = cell * std::max(n, 1.0);

  Ticks bar_ticks = ticks_within(0, vmax, 5);
  if (!normalize && bar_ticks.step < 1) {  // counts are whole: no 0.5 on their scale
    bar_ticks.step = 1;
    bar_ticks.values.clear();
    for (double v = 0; v <= vmax; ++v) bar_ticks.values.push_back(v);
  }
  const double bar_x = frame.right() + 24;
  const double width = std::max(bar_x + kBarWidth + 8 + tick_label_width(bar_ticks, 11) + 20,
                                text_width(title, 16) + 40);
  const double height = frame.bottom() + x_label_h + 36;
  SvgDocument doc(width, height, title);
  draw_title(doc, title, kTitleY);

  if (c == 0) {
    doc.text(
        frame.left + frame.width / 2, frame.top + frame.height / 2, "No data",
        {.size = 16, .anchor = Anchor::middle, .valign = VAlign::middle, .color = {150, 150, 150}},
        "no-data");
  }

  // Cells, then their numbers (omitted below 12 px: they would not be readable).
  doc.begin_group("cells", true);
  const LinearScale to_unit{0, vmax, 0, 1};
  for (std::size_t t = 0; t < c; ++t) {
    for (std::size_t p = 0; p < c; ++p) {
      const double v = value[t][p];
      const Color fill = std::isfinite(v) ? viridis(to_unit(v)) : Color{200, 200, 200};
      std::string tip =
          "true " + names[t] + ", predicted " + names[p] + ": " + std::to_string(counts[t][p]);
      if (normalize) tip += " (" + cell_text(v, counts[t][p], true) + " of the row)";
      doc.rect(frame.left + cell * static_cast<double>(p),
               frame.top + cell * static_cast<double>(t), cell, cell, fill,
               cell >= 12 ? std::optional<Stroke>(Stroke{kWhite, 1}) : std::nullopt, "cell", tip);
    }
  }
  doc.end_group();
  if (cell >= 12) {
    doc.begin_group("cell-values");
    for (std::size_t t = 0; t < c; ++t) {
      for (std::size_t p = 0; p < c; ++p) {
        const double v = value[t][p];
        const std::string s = cell_text(v, counts[t][p], normalize);
        const double fit = cell * 0.85 / (0.62 * static_cast<double>(s.size()));
        const double size = std::min({14.0, cell * 0.4, fit});
        if (size < 6) continue;
        const Color bg = std::isfinite(v) ? viridis(to_unit(v)) : Color{200, 200, 200};
        doc.text(frame.left + cell * (static_cast<double>(p) + 0.5),
                 frame.top + cell * (static_cast<double>(t) + 0.5), s,
                 {.size = size,
                  .anchor = Anchor::middle,
                  .valign = VAlign::middle,
                  .bold = t == p,
                  .color = contrast_text(bg)},
                 "cell-value");
      }
    }
    doc.end_group();
  }

  // Class labels: true classes left of the rows, predicted classes below the columns.
  doc.begin_group("class-labels");
  for (std::size_t i = 0; i < c; i += label_every) {
    const double mid = cell * (static_cast<double>(i) + 0.5);
    const std::string_view tip = shown[i] != names[i] ? std::string_view(names[i]) : "";
    doc.text(frame.left - 6, frame.top + mid, shown[i],
             {.size = label_font, .anchor = Anchor::end, .valign = VAlign::middle}, "class-label",
             tip);
    if (rotate) {
      doc.text(
          frame.left + mid + label_font * 0.3, frame.bottom() + 8, shown[i],
          {.size = label_font, .anchor = Anchor::end, .valign = VAlign::baseline, .rotate = -45},
          "class-label", tip);
    } else {
      doc.text(frame.left + mid, frame.bottom() + 6, shown[i],
               {.size = label_font, .anchor = Anchor::middle, .valign = VAlign::top}, "class-label",
               tip);
    }
  }
  doc.end_group();
  doc.text(frame.left + frame.width / 2, frame.bottom() + x_label_h + 16, "Predicted",
           {.size = 13, .anchor = Anchor::middle, .bold = true}, "axis-label");
  doc.text(kAxisTitleX, frame.top + frame.height / 2, "True",
           {.size = 13, .anchor = Anchor::middle, .bold = true, .rotate = -90}, "axis-label");

  // Colour bar: slices from the top (vmax) down, then ticks on its right.
  doc.begin_group("colorbar", true);
  const double slice = frame.height / kBarSlices;
  for (int i = 0; i < kBarSlices; ++i) {
    const double t = 1 - (i + 0.5) / kBarSlices;
    doc.rect(bar_x, frame.top + slice * i, kBarWidth, slice + 0.5, viridis(t));
  }
  doc.end_group();
  doc.rect(bar_x, frame.top, kBarWidth, frame.height, std::nullopt, Stroke{kAxisColor, 0.5});
  const LinearScale bar_y{0, vmax, frame.bottom(), frame.top};
  for (double v : bar_ticks.values) {
    doc.line(bar_x + kBarWidth, bar_y(v), bar_x + kBarWidth + 4, bar_y(v), Stroke{kAxisColor, 1});
    doc.text(bar_x + kBarWidth + 7, bar_y(v), format_tick(v, bar_ticks.step),
             {.size = 11, .valign = VAlign::middle}, "tick-label");
  }
  return doc.str();
}

void confusion_matrix_chart(const std::filesystem::path& path,
                            const std::vector<std::vector<std::int64_t>>& counts,
                            const std::vector<std::string>& class_names, bool normalize,
                            std::string_view title) {
  write_file(path, render_confusion_matrix_chart(counts, class_names, normalize, title));
}

}  // namespace xg::plot

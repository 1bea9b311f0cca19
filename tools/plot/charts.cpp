// Line charts and ROC curves (see charts.hpp). The confusion matrix is in
// charts_matrix.cpp, decision regions in charts_regions.cpp.
#include "tools/plot/charts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "tools/plot/svg.hpp"

namespace xg::plot {

namespace {

constexpr double kTitleY = 28;
constexpr double kFrameTop = 48;
constexpr double kYLabelX = 18;    // centre of the rotated y-axis title
constexpr double kLegendGap = 20;  // between the frame and the legend

// Left margin: the rotated y title, then the widest tick label, then the ticks.
double left_margin(const Ticks& y_ticks) {
  return kYLabelX + 14 + tick_label_width(y_ticks, 11) + 12;
}

void no_data(SvgDocument& doc, const Frame& frame) {
  doc.text(
      frame.left + frame.width / 2, frame.top + frame.height / 2, "No data",
      {.size = 16, .anchor = Anchor::middle, .valign = VAlign::middle, .color = {150, 150, 150}},
      "no-data");
}

std::string size_mismatch(std::string_view fn, std::string_view what, const std::string& name,
                          std::size_t a, std::size_t b) {
  return std::string(fn) + ": " + std::string(what) + " of '" + name + "' differ in length (" +
         std::to_string(a) + " and " + std::to_string(b) + ")";
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Line chart

std::string render_line_chart(std::string_view title, std::string_view x_label,
                              std::string_view y_label, const std::vector<Series>& series,
                              const LineChartOptions& options) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // Validate everything first, and find the finite data range.
  double xlo = kInf, xhi = -kInf, ylo = kInf, yhi = -kInf;
  std::vector<std::vector<Point>> data(series.size());
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    if (s.xs.size() != s.ys.size()) {
      throw std::invalid_argument(
          size_mismatch("line_chart", "xs and ys of series", s.name, s.xs.size(), s.ys.size()));
    }
    for (std::size_t k = 0; k < s.xs.size(); ++k) {
      if (!std::isfinite(s.xs[k]) || !std::isfinite(s.ys[k])) continue;
      data[i].push_back({s.xs[k], s.ys[k]});
      xlo = std::min(xlo, s.xs[k]), xhi = std::max(xhi, s.xs[k]);
      ylo = std::min(ylo, s.ys[k]), yhi = std::max(yhi, s.ys[k]);
    }
  }
  const bool any_data = xlo <= xhi;
  if (!any_data) xlo = 0, xhi = 1, ylo = 0, yhi = 1;

  const Ticks x_ticks = nice_ticks(xlo, xhi, 8);
  Ticks y_ticks;
  const auto fin = [](std::optional<double> v) { return v && std::isfinite(*v); };
  if (fin(options.y_min) && fin(options.y_max) && *options.y_min < *options.y_max) {
    y_ticks = ticks_within(*options.y_min, *options.y_max, 6);
  } else {
    // One end fixed (or neither): nice ticks over the data, then the fixed end imposed.
    const double lo = fin(options.y_min) ? *options.y_min : ylo;
    const double hi = fin(options.y_max) ? *options.y_max : yhi;
    y_ticks = nice_ticks(std::min(lo, hi), std::max(lo, hi), 6);
    if (fin(options.y_min) && *options.y_min < y_ticks.hi) y_ticks.lo = *options.y_min;
    if (fin(options.y_max) && *options.y_max > y_ticks.lo) y_ticks.hi = *options.y_max;
    std::erase_if(y_ticks.values, [&](double v) { return v < y_ticks.lo || v > y_ticks.hi; });
  }

  std::vector<LegendEntry> legend;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    const std::size_t c = s.color >= 0 ? static_cast<std::size_t>(s.color) : i;
    std::string label = s.name.empty() ? "series " + std::to_string(i + 1) : s.name;
    if (data[i].empty()) label += " (no data)";
    legend.push_back(
        {.label = label, .color = palette(c), .dash = s.dashed ? std::string("7 4") : dash_for(c)});
  }

  const double width = std::max(options.width, 200.0), height = std::max(options.height, 160.0);
  Frame frame;
  frame.left = left_margin(y_ticks);
  frame.top = kFrameTop;
  frame.width = std::max(width - frame.left - 24, 40.0);
  frame.height = std::max(height - kFrameTop - 60, 40.0);
  const double legend_w = legend.empty() ? 0 : legend_width(legend) + kLegendGap;
  SvgDocument doc(frame.right() + legend_w + 20,
                  std::max(height, frame.top + legend_height(legend) + 20), title);
  draw_title(doc, title, kTitleY);

  const Axis x{{x_ticks.lo, x_ticks.hi, frame.left, frame.right()}, x_ticks, std::string(x_label)};
  const Axis y{{y_ticks.lo, y_ticks.hi, frame.bottom(), frame.top}, y_ticks, std::string(y_label)};
  draw_axes(doc, frame, x, y, kYLabelX);
  if (!any_data) no_data(doc, frame);

  // Clip a little outside the frame: a line at the top of a fixed range stays whole.
  doc.begin_clip(frame.left - 6, frame.top - 6, frame.width + 12, frame.height + 12, "data");
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (data[i].empty()) continue;
    std::vector<Point> px;
    for (const Point& p : data[i]) px.push_back({x.scale(p.x), y.scale(p.y)});
    const LegendEntry& e = legend[i];
    doc.polyline(px, Stroke{e.color, 2, e.dash}, "series", series[i].name);
    if (px.size() <= options.max_points_for_markers || px.size() == 1) {
      const double r = px.size() == 1 ? 4.5 : 3.5;  // a lone point must be easy to spot
      for (const Point& p : px) doc.circle(p.x, p.y, r, e.color, Stroke{kWhite, 1}, "point");
    }
  }
  doc.end_group();
  draw_legend(doc, frame.right() + kLegendGap, frame.top, legend);
  return doc.str();
}

void line_chart(const std::filesystem::path& path, std::string_view title, std::string_view x_label,
                std::string_view y_label, const std::vector<Series>& series,
                const LineChartOptions& options) {
  write_file(path, render_line_chart(title, x_label, y_label, series, options));
}

// ---------------------------------------------------------------------------------------
// ROC curves

std::string render_roc_chart(const std::vector<RocCurve>& curves, std::string_view title) {
  for (const RocCurve& c : curves) {
    if (c.fpr.size() != c.tpr.size()) {
      throw std::invalid_argument(
          size_mismatch("roc_chart", "fpr and tpr of curve", c.name, c.fpr.size(), c.tpr.size()));
    }
  }
  const Ticks ticks = ticks_within(0, 1, 5);
  Frame frame;
  frame.left = left_margin(ticks);
  frame.top = kFrameTop;
  frame.width = frame.height = 400;

  std::vector<LegendEntry> legend;
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const RocCurve& c = curves[i];
    char auc[32];
    if (std::isfinite(c.auc)) {
      std::snprintf(auc, sizeof auc, "AUC = %.3f", c.auc);
    } else {
      std::snprintf(auc, sizeof auc, "AUC n/a");
    }
    // The AUC goes first when the name is long, so ellipsizing never hides it.
    const std::string name =
        ellipsize(c.name.empty() ? "curve " + std::to_string(i + 1) : c.name, kLegendMaxChars - 16);
    legend.push_back({.label = name + " (" + auc + ")", .color = palette(i), .dash = dash_for(i)});
  }
  legend.push_back({.label = "Chance (AUC = 0.5)", .color = {150, 150, 150}, .dash = "5 4"});

  SvgDocument doc(frame.right() + kLegendGap + legend_width(legend) + 20,
                  std::max(frame.bottom() + 60, frame.top + legend_height(legend) + 20), title);
  draw_title(doc, title, kTitleY);
  const Axis x{{0, 1, frame.left, frame.right()}, ticks, "False positive rate"};
  const Axis y{{0, 1, frame.bottom(), frame.top}, ticks, "True positive rate"};
  draw_axes(doc, frame, x, y, kYLabelX);
  doc.line(x.scale(0), y.scale(0), x.scale(1), y.scale(1), Stroke{{150, 150, 150}, 1.5, "5 4"},
           "chance");

  bool any_data = false;
  for (std::size_t i = 0; i < curves.size(); ++i) {
    std::vector<Point> px;
    for (std::size_t k = 0; k < curves[i].fpr.size(); ++k) {
      const double f = curves[i].fpr[k], t = curves[i].tpr[k];
      if (!std::isfinite(f) || !std::isfinite(t)) continue;
      px.push_back({x.scale(std::clamp(f, 0.0, 1.0)), y.scale(std::clamp(t, 0.0, 1.0))});
    }
    if (px.empty()) continue;
    any_data = true;
    doc.polyline(px, Stroke{legend[i].color, 2, legend[i].dash}, "series", legend[i].label);
    if (px.size() == 1) doc.circle(px[0].x, px[0].y, 4.5, legend[i].color, std::nullopt, "point");
  }
  if (!any_data) no_data(doc, frame);
  draw_legend(doc, frame.right() + kLegendGap, frame.top, legend);
  return doc.str();
}

void roc_chart(const std::filesystem::path& path, const std::vector<RocCurve>& curves,
               std::string_view title) {
  write_file(path, render_roc_chart(curves, title));
}

}  // namespace xg::plot

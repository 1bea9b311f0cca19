// Decision regions of a 2-D classifier over its data points (see charts.hpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "tools/plot/charts.hpp"
#include "tools/plot/svg.hpp"

namespace xg::plot {

namespace {

constexpr double kTitleY = 28;
constexpr double kFrameTop = 48;
constexpr double kYLabelX = 18;
constexpr double kFrameSize = 460;            // the longer side of the plot area
constexpr std::size_t kMaxResolution = 4096;  // 16.7 M cells: beyond that, a mistake
constexpr double kRegionTint = 0.3;           // how much of the class colour a region gets

void check_bounds(std::string_view fn, const ClassGrid& g) {
  if (!std::isfinite(g.xmin) || !std::isfinite(g.xmax) || !std::isfinite(g.ymin) ||
      !std::isfinite(g.ymax) || !(g.xmin < g.xmax) || !(g.ymin < g.ymax)) {
    throw std::invalid_argument(std::string(fn) + ": grid bounds must be finite with xmin < xmax " +
                                "and ymin < ymax, got [" + std::to_string(g.xmin) + ", " +
                                std::to_string(g.xmax) + "] x [" + std::to_string(g.ymin) + ", " +
                                std::to_string(g.ymax) + "]");
  }
  if (g.resolution > kMaxResolution) {
    throw std::invalid_argument(std::string(fn) + ": resolution " + std::to_string(g.resolution) +
                                " is above the limit " + std::to_string(kMaxResolution));
  }
}

void check_fill(const ClassGrid& g) {
  check_bounds("fill_class_grid", g);
  if (g.resolution == 0) throw std::invalid_argument("fill_class_grid: resolution must be >= 1");
}

}  // namespace

double ClassGrid::cell_x(std::size_t col) const {
  return xmin + (static_cast<double>(col) + 0.5) * (xmax - xmin) / static_cast<double>(resolution);
}

double ClassGrid::cell_y(std::size_t row) const {
  return ymin + (static_cast<double>(row) + 0.5) * (ymax - ymin) / static_cast<double>(resolution);
}

ClassGrid grid_bounds(const std::vector<double>& xs, const std::vector<double>& ys, double margin) {
  if (xs.size() != ys.size()) {
    throw std::invalid_argument("grid_bounds: xs and ys differ in length (" +
                                std::to_string(xs.size()) + " and " + std::to_string(ys.size()) +
                                ")");
  }
  constexpr double kInf = std::numeric_limits<double>::infinity();
  double xlo = kInf, xhi = -kInf, ylo = kInf, yhi = -kInf;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
    xlo = std::min(xlo, xs[i]), xhi = std::max(xhi, xs[i]);
    ylo = std::min(ylo, ys[i]), yhi = std::max(yhi, ys[i]);
  }
  ClassGrid g;
  if (xlo > xhi) {
    g.xmin = g.ymin = -1;
    g.xmax = g.ymax = 1;
    return g;
  }
  if (!std::isfinite(margin) || margin < 0) margin = 0;
  auto pad = [margin](double lo, double hi) {
    const double span = hi - lo;
    return std::max(span * margin, span > 0 ? 0.0 : std::max(0.5, std::abs(lo) * 0.1));
  };
  const double px = pad(xlo, xhi), py = pad(ylo, yhi);
  g.xmin = xlo - px, g.xmax = xhi + px, g.ymin = ylo - py, g.ymax = yhi + py;
  return g;
}

void fill_class_grid(ClassGrid& grid, const std::function<int(double x, double y)>& classify) {
  check_fill(grid);
  const std::size_t r = grid.resolution;
  grid.classes.assign(r * r, -1);
  for (std::size_t row = 0; row < r; ++row) {
    for (std::size_t col = 0; col < r; ++col) {
      grid.classes[row * r + col] = classify(grid.cell_x(col), grid.cell_y(row));
    }
  }
}

void fill_class_grid_batched(
    ClassGrid& grid,
    const std::function<std::vector<int>(const std::vector<double>& xs,
                                         const std::vector<double>& ys)>& classify) {
  check_fill(grid);
  const std::size_t r = grid.resolution;
  std::vector<double> xs, ys;
  xs.reserve(r * r);
  ys.reserve(r * r);
  for (std::size_t row = 0; row < r; ++row) {
    for (std::size_t col = 0; col < r; ++col) {
      xs.push_back(grid.cell_x(col));
      ys.push_back(grid.cell_y(row));
    }
  }
  std::vector<int> classes = classify(xs, ys);
  if (classes.size() != r * r) {
    throw std::invalid_argument("fill_class_grid_batched: the classifier returned " +
                                std::to_string(classes.size()) + " classes for " +
                                std::to_string(r * r) + " points");
  }
  grid.classes = std::move(classes);
}

std::string render_decision_regions_chart(const ClassGrid& grid, const std::vector<double>& xs,
                                          const std::vector<double>& ys,
                                          const std::vector<int>& labels, std::size_t num_classes,
                                          std::string_view title,
                                          const std::vector<std::string>& class_names) {
  constexpr std::string_view kFn = "decision_regions_chart";
  check_bounds(kFn, grid);
  const std::size_t r = grid.resolution;
  if (grid.classes.size() != r * r) {
    throw std::invalid_argument("decision_regions_chart: a grid of resolution " +
                                std::to_string(r) + " needs " + std::to_string(r * r) +
                                " classes, got " + std::to_string(grid.classes.size()));
  }
  for (std::size_t i = 0; i < grid.classes.size(); ++i) {
    if (grid.classes[i] >= 0 && static_cast<std::size_t>(grid.classes[i]) >= num_classes) {
      throw std::invalid_argument("decision_regions_chart: grid cell " + std::to_string(i) +
                                  " has class " + std::to_string(grid.classes[i]) +
                                  " but there are " + std::to_string(num_classes) + " classes");
    }
  }
  if (xs.size() != ys.size() || xs.size() != labels.size()) {
    throw std::invalid_argument("decision_regions_chart: xs, ys and labels differ in length (" +
                                std::to_string(xs.size()) + ", " + std::to_string(ys.size()) +
                                " and " + std::to_string(labels.size()) + ")");
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= num_classes) {
      throw std::invalid_argument("decision_regions_chart: label " + std::to_string(labels[i]) +
                                  " of point " + std::to_string(i) + " is outside [0, " +
                                  std::to_string(num_classes) + ")");
    }
  }
  if (!class_names.empty() && class_names.size() != num_classes) {
    throw std::invalid_argument("decision_regions_chart: " + std::to_string(class_names.size()) +
                                " class names for " + std::to_string(num_classes) + " classes");
  }

  // The frame keeps the data's aspect ratio within 1:2 .. 2:1, so circles look round
  // where possible without a thin sliver for lopsided ranges.
  const double ratio = std::clamp((grid.ymax - grid.ymin) / (grid.xmax - grid.xmin), 0.5, 2.0);
  const Ticks x_ticks = ticks_within(grid.xmin, grid.xmax, 6);
  const Ticks y_ticks = ticks_within(grid.ymin, grid.ymax, 6);
  Frame frame;
  frame.left = kYLabelX + 14 + tick_label_width(y_ticks, 11) + 12;
  frame.top = kFrameTop;
  frame.width = ratio <= 1 ? kFrameSize : kFrameSize / ratio;
  frame.height = ratio <= 1 ? kFrameSize * ratio : kFrameSize;

  std::vector<LegendEntry> legend;
  for (std::size_t k = 0; k < num_classes; ++k) {
    const std::string name = class_names.empty() ? "class " + std::to_string(k) : class_names[k];
    legend.push_back({.label = name,
                      .color = palette(k),
                      .kind = LegendEntry::Kind::marker,
                      .marker = marker_for(k),
                      .swatch = tint(palette(k), kRegionTint)});
  }
  SvgDocument doc(frame.right() + 20 + legend_width(legend) + 20,
                  std::max(frame.bottom() + 60, frame.top + legend_height(legend) + 20), title);
  draw_title(doc, title, kTitleY);
  const Axis x{{grid.xmin, grid.xmax, frame.left, frame.right()}, x_ticks, "x1"};
  const Axis y{{grid.ymin, grid.ymax, frame.bottom(), frame.top}, y_ticks, "x2"};

  // Regions: one rect per run of equal classes along a row (a smooth boundary gives a
  // few runs per row instead of `resolution` cells).
  doc.begin_group("regions", true);
  const double cw = frame.width / static_cast<double>(std::max<std::size_t>(r, 1));
  const double ch = frame.height / static_cast<double>(std::max<std::size_t>(r, 1));
  for (std::size_t row = 0; row < r; ++row) {
    const double top = frame.bottom() - ch * static_cast<double>(row + 1);
    for (std::size_t col = 0; col < r;) {
      const int k = grid.classes[row * r + col];
      std::size_t end = col + 1;
      while (end < r && grid.classes[row * r + end] == k) ++end;
      if (k >= 0) {
        doc.rect(frame.left + cw * static_cast<double>(col), top,
                 cw * static_cast<double>(end - col), ch,
                 tint(palette(static_cast<std::size_t>(k)), kRegionTint), std::nullopt, "region");
      }
      col = end;
    }
  }
  doc.end_group();
  draw_axes(doc, frame, x, y, kYLabelX, /*grid=*/false);
  doc.rect(frame.left, frame.top, frame.width, frame.height, std::nullopt, Stroke{kAxisColor, 1});

  // Points: solid class colours and shapes; a thin dark outline keeps them apart where
  // they overlap and visible on their own region's tint.
  const double radius = xs.size() > 1000 ? 2.5 : 3.5;
  bool any_point = false;
  doc.begin_group("points");
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
    if (xs[i] < grid.xmin || xs[i] > grid.xmax || ys[i] < grid.ymin || ys[i] > grid.ymax) continue;
    const auto k = static_cast<std::size_t>(labels[i]);
    doc.marker(marker_for(k), x.scale(xs[i]), y.scale(ys[i]), radius, palette(k),
               Stroke{{40, 40, 40}, 0.6}, "point");
    any_point = true;
  }
  doc.end_group();
  if (r == 0 && !any_point) {
    doc.text(
        frame.left + frame.width / 2, frame.top + frame.height / 2, "No data",
        {.size = 16, .anchor = Anchor::middle, .valign = VAlign::middle, .color = {150, 150, 150}},
        "no-data");
  }
  draw_legend(doc, frame.right() + 20, frame.top, legend);
  return doc.str();
}

void decision_regions_chart(const std::filesystem::path& path, const ClassGrid& grid,
                            const std::vector<double>& xs, const std::vector<double>& ys,
                            const std::vector<int>& labels, std::size_t num_classes,
                            std::string_view title, const std::vector<std::string>& class_names) {
  write_file(path,
             render_decision_regions_chart(grid, xs, ys, labels, num_classes, title, class_names));
}

void decision_regions_chart(const std::filesystem::path& path, ClassGrid grid,
                            const std::function<int(double x, double y)>& classify,
                            const std::vector<double>& xs, const std::vector<double>& ys,
                            const std::vector<int>& labels, std::size_t num_classes,
                            std::string_view title, const std::vector<std::string>& class_names) {
  fill_class_grid(grid, classify);
  decision_regions_chart(path, grid, xs, ys, labels, num_classes, title, class_names);
}

}  // namespace xg::plot

// The charts `xgrad train/eval --plot DIR` writes: standalone .svg files a person opens
// in a browser (built with tools/plot/svg.hpp; no other dependency).
//
// Each chart has two forms: render_*() returns the SVG text, *_chart() writes it to a
// file. Common contract:
// - Bad arguments (mismatched lengths, non-square matrices, labels out of range) throw
//   std::invalid_argument whose message starts with the function name and gives the sizes.
// - Non-finite values (NaN, +-inf) are skipped, never written; empty input gives a chart
//   with "No data" in it rather than an error.
// - A file that cannot be written throws std::runtime_error("plot: cannot write 'PATH':
//   <errno text>"). The directory must exist: the caller creates it.
// - Long names are ellipsized on the chart; the full text is in a hover tooltip.
// - Elements carry CSS classes that tests and stylesheets can count: polyline.series,
//   g.legend-entry, rect.cell, rect.region, text.chart-title.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xg::plot {

// ---------------------------------------------------------------------------------------
// Line chart (loss and accuracy per epoch)

struct Series {
  std::string name = {};
  std::vector<double> xs = {};
  std::vector<double> ys = {};  // same length as xs
  // Palette index of the colour; -1 = the series' position. Give "train" and "validation"
  // of one quantity the same colour and set `dashed` on one of them.
  int color = -1;
  bool dashed = false;
};

struct LineChartOptions {
  // Fixed y range (e.g. 0 and 1 for accuracy); unset = fitted to the data with nice ticks.
  std::optional<double> y_min = {}, y_max = {};
  // Point markers: drawn when a series has at most this many points (isolated points are
  // always visible: a one-point series gets a marker whatever this says).
  std::size_t max_points_for_markers = 40;
  double width = 720, height = 440;  // the plot, without the legend
};

// One polyline (class "series") per series with at least one finite point; a legend
// entry per series ("name (no data)" for one without). Series whose xs and ys differ in
// length throw std::invalid_argument.
std::string render_line_chart(std::string_view title, std::string_view x_label,
                              std::string_view y_label, const std::vector<Series>& series,
                              const LineChartOptions& options = {});
void line_chart(const std::filesystem::path& path, std::string_view title, std::string_view x_label,
                std::string_view y_label, const std::vector<Series>& series,
                const LineChartOptions& options = {});

// ---------------------------------------------------------------------------------------
// ROC curves

struct RocCurve {
  std::string name = {};         // e.g. the class, for one-vs-rest curves
  std::vector<double> fpr = {};  // false positive rates, same length as tpr
  std::vector<double> tpr = {};
  double auc = 0;  // shown in the legend as "name (AUC = 0.953)"; NaN shows "AUC n/a"
};

// Axes [0, 1] x [0, 1], the dashed diagonal chance line (a legend entry of its own), one
// polyline (class "series") per curve. Points outside [0, 1] are clamped onto the frame.
std::string render_roc_chart(const std::vector<RocCurve>& curves,
                             std::string_view title = "ROC curve");
void roc_chart(const std::filesystem::path& path, const std::vector<RocCurve>& curves,
               std::string_view title = "ROC curve");

// ---------------------------------------------------------------------------------------
// Confusion matrix

// counts[t][p] = number of samples of true class t predicted as p (C x C, non-negative).
// class_names: C names, or empty for "0", "1", ...
// normalize = false: cells show counts, coloured on [0, max count]; true: each row is
// divided by its sum (the recall of each class on the diagonal), cells show 2 decimals
// coloured on [0, 1], and a row without samples is grey with "n/a".
// One rect (class "cell") per cell with its value in it, in black or white for contrast
// (a number that would be under 6 px is omitted: from about 30 classes on, where cells
// shrink below 15 px), a viridis colour bar, "Predicted" below and "True" left.
std::string render_confusion_matrix_chart(const std::vector<std::vector<std::int64_t>>& counts,
                                          const std::vector<std::string>& class_names,
                                          bool normalize = false,
                                          std::string_view title = "Confusion matrix");
void confusion_matrix_chart(const std::filesystem::path& path,
                            const std::vector<std::vector<std::int64_t>>& counts,
                            const std::vector<std::string>& class_names, bool normalize = false,
                            std::string_view title = "Confusion matrix");

// ---------------------------------------------------------------------------------------
// Decision regions of a 2-D classifier

// The predicted class on a resolution x resolution grid of cells over
// [xmin, xmax] x [ymin, ymax]. classes[row * resolution + col] is the class at the cell
// centre x = xmin + (col + 0.5) * (xmax - xmin) / resolution,
//        y = ymin + (row + 0.5) * (ymax - ymin) / resolution   (row 0 is the bottom row).
// A negative class leaves the cell blank.
struct ClassGrid {
  double xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  std::size_t resolution = 0;
  std::vector<int> classes = {};

  double cell_x(std::size_t col) const;  // centre of the cell column
  double cell_y(std::size_t row) const;  // centre of the cell row
};

// A padded bounding box of the finite points (margin: a fraction of each side's span,
// at least 0.5 around a point or a line). Returns {xmin, xmax, ymin, ymax} in a ClassGrid
// without classes; no finite point gives [-1, 1] x [-1, 1].
ClassGrid grid_bounds(const std::vector<double>& xs, const std::vector<double>& ys,
                      double margin = 0.1);

// Fills grid.classes from a per-point classifier; grid bounds and resolution set.
void fill_class_grid(ClassGrid& grid, const std::function<int(double x, double y)>& classify);
// Same, with one call for all resolution^2 cell centres (a model evaluates them as one
// batch). `classify(xs, ys)` must return one class per point, in order.
void fill_class_grid_batched(
    ClassGrid& grid,
    const std::function<std::vector<int>(const std::vector<double>& xs,
                                         const std::vector<double>& ys)>& classify);

// Region cells in light tints of the class colours (class "region"; runs of equal
// cells along a row are merged into one rect), and the data points in solid colours with a
// per-class marker shape. Points outside the grid or with non-finite coordinates are
// skipped. labels[i] in [0, num_classes); grid classes < num_classes.
// class_names: num_classes names or empty for "class 0", ...
std::string render_decision_regions_chart(const ClassGrid& grid, const std::vector<double>& xs,
                                          const std::vector<double>& ys,
                                          const std::vector<int>& labels, std::size_t num_classes,
                                          std::string_view title = "Decision regions",
                                          const std::vector<std::string>& class_names = {});
void decision_regions_chart(const std::filesystem::path& path, const ClassGrid& grid,
                            const std::vector<double>& xs, const std::vector<double>& ys,
                            const std::vector<int>& labels, std::size_t num_classes,
                            std::string_view title = "Decision regions",
                            const std::vector<std::string>& class_names = {});
// The same from a classifier: `grid` gives the bounds and resolution, and its classes
// are filled by fill_class_grid(grid, classify) first.
void decision_regions_chart(const std::filesystem::path& path, ClassGrid grid,
                            const std::function<int(double x, double y)>& classify,
                            const std::vector<double>& xs, const std::vector<double>& ys,
                            const std::vector<int>& labels, std::size_t num_classes,
                            std::string_view title = "Decision regions",
                            const std::vector<std::string>& class_names = {});

}  // namespace xg::plot

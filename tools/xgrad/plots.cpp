#include "tools/xgrad/plots.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "tools/plot/charts.hpp"
#include "xgrad/autograd/ops/reduce.hpp"

namespace xg::cli {

namespace fs = std::filesystem;

void make_plot_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw std::runtime_error("--plot: cannot create directory '" + dir +
                             "': " + (ec ? ec.message() : "a file of that name exists"));
  }
}

void plot_history(const std::string& dir, const History& h) {
  const fs::path base(dir);
  // Train and validation of one quantity share a colour; validation is dashed.
  std::vector<plot::Series> loss = {
      {.name = "train", .xs = h.epoch, .ys = h.train_loss, .color = 0}};
  std::vector<plot::Series> acc = {
      {.name = "train", .xs = h.epoch, .ys = h.train_accuracy, .color = 0}};
  if (!h.val_loss.empty()) {
    loss.push_back(
        {.name = "validation", .xs = h.epoch, .ys = h.val_loss, .color = 1, .dashed = true});
    acc.push_back(
        {.name = "validation", .xs = h.epoch, .ys = h.val_accuracy, .color = 1, .dashed = true});
  }
  plot::line_chart(base / "loss.svg", "Loss per epoch", "epoch", "loss", loss);
  plot::line_chart(base / "accuracy.svg", "Accuracy per epoch", "epoch", "accuracy", acc,
                   {.y_max = 1.0});
}

void plot_evaluation(const std::string& dir, const Evaluation& e) {
  const fs::path base(dir);
  std::vector<plot::RocCurve> curves;
  const std::size_t classes = e.roc.size();
  for (std::size_t c = 0; c < classes; ++c) {
    // Two classes: the curves mirror each other; show the positive class only.
    if (classes == 2 && c == 0) continue;
    curves.push_back({.name = e.class_names[c] + (classes == 2 ? "" : " vs rest"),
                      .fpr = e.roc[c].fpr,
                      .tpr = e.roc[c].tpr,
                      .auc = e.auc[c]});
  }
  plot::roc_chart(base / "roc.svg", curves,
                  classes == 2 ? "ROC curve" : "ROC curves (one-vs-rest)");
  plot::confusion_matrix_chart(base / "confusion.svg", e.report.confusion.counts, e.class_names);
}

bool plot_regions(const std::string& dir, nn::Sequential& model, const data::Dataset& ds,
                  const std::vector<std::string>& class_names, std::int64_t num_classes) {
  if (ds.features().dim() != 2 || ds.features().shape()[1] != 2) return false;
  const auto values = ds.features().to_vector<double>();
  const auto labels64 = ds.targets().to_vector<std::int64_t>();
  std::vector<double> xs, ys;
  std::vector<int> labels;
  for (std::size_t i = 0; i < labels64.size(); ++i) {
    xs.push_back(values[2 * i]);
    ys.push_back(values[2 * i + 1]);
    labels.push_back(static_cast<int>(labels64[i]));
  }
  plot::ClassGrid grid = plot::grid_bounds(xs, ys);
  grid.resolution = 150;
  const bool was_training = model.is_training();
  model.eval();
  plot::fill_class_grid_batched(
      grid, [&](const std::vector<double>& gx, const std::vector<double>& gy) {
        std::vector<double> points;
        points.reserve(2 * gx.size());
        for (std::size_t i = 0; i < gx.size(); ++i) {
          points.push_back(gx[i]);
          points.push_back(gy[i]);
        }
        NoGradGuard no_grad;
        const Tensor x = tensor(points, {static_cast<std::int64_t>(gx.size()), 2},
                                {.dtype = ds.features().dtype()});
        const auto pred = argmax(model(x), 1).to_vector<std::int64_t>();
        return std::vector<int>(pred.begin(), pred.end());
      });
  model.train(was_training);
  plot::decision_regions_chart(fs::path(dir) / "regions.svg", grid, xs, ys, labels,
                               static_cast<std::size_t>(num_classes), "Decision regions",
                               class_names);
  return true;
}

}  // namespace xg::cli

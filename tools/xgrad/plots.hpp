// The charts `--plot DIR` writes (SVG, through tools/plot/charts.hpp):
//   loss.svg, accuracy.svg   training and validation curves per epoch (train only)
//   roc.svg                  one-vs-rest ROC curve of each class, with its AUC
//   confusion.svg            the confusion matrix as a heat map
//   regions.svg              2-D data: the model's decision regions over the points
#pragma once

#include <string>
#include <vector>

#include "tools/xgrad/evaluation.hpp"
#include "xgrad/data/dataset.hpp"
#include "xgrad/nn/container.hpp"

namespace xg::cli {

struct History {
  std::vector<double> epoch, train_loss, train_accuracy, val_loss, val_accuracy;
};

// Creates the directory (and its parents); std::runtime_error naming it on failure.
void make_plot_dir(const std::string& dir);

void plot_history(const std::string& dir, const History& history);
void plot_evaluation(const std::string& dir, const Evaluation& evaluation);
// Only for 2-D features: the regions of the model's predicted class over a grid around
// the points of `ds`. Returns false (and writes nothing) for other data.
bool plot_regions(const std::string& dir, nn::Sequential& model, const data::Dataset& ds,
                  const std::vector<std::string>& class_names, std::int64_t num_classes);

}  // namespace xg::cli

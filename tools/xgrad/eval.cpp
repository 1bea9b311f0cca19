// `xgrad eval`: rebuild a model from its file's metadata (checked against its tensors),
// run it over a data set and print the classification report (optionally as JSON and as
// charts).
#include <nlohmann/json.hpp>

#include <iostream>

#include "tools/xgrad/commands.hpp"
#include "tools/xgrad/evaluation.hpp"
#include "tools/xgrad/model_spec.hpp"
#include "tools/xgrad/output_files.hpp"
#include "tools/xgrad/phase.hpp"
#include "tools/xgrad/plots.hpp"
#include "tools/xgrad/training_util.hpp"
#include "xgrad/autograd/atomic_file.hpp"
#include "xgrad/autograd/ops/shape.hpp"
#include "xgrad/autograd/runtime.hpp"
#include "xgrad/nn/serialize.hpp"

namespace xg::cli {

namespace {

data::Dataset select_split(const LoadedData& d, const std::string& split) {
  if (split == "test") return d.test;
  if (split == "train") return d.train;
  if (split == "all") {
    return data::Dataset(concat({d.train.features(), d.test.features()}, 0),
                         concat({d.train.targets(), d.test.targets()}, 0), d.class_names);
  }
  throw UsageError("--split must be test, train or all, got '" + split + "'");
}

}  // namespace

int run_eval(const EvalOptions& o) {
  if (o.threads < 0) throw UsageError("--threads must be >= 0");
  if (o.batch_size < 1) throw UsageError("--batch-size must be >= 1");
  if (o.threads > 0) set_num_threads(o.threads);
  if (o.split != "test" && o.split != "train" && o.split != "all") {
    throw UsageError("--split must be test, train or all, got '" + o.split + "'");
  }

  set_phase("loading the model");
  // The file is read once; nothing is built before its description fits its tensors.
  const nn::TensorFile file = nn::load_tensor_file(o.model);
  const ModelSpec spec = spec_from_model_file(file, o.model);
  auto model = build_model(spec);
  nn::load(*model, file, o.model);

  DataSpec data_spec;
  DataOptions data_options;
  const auto stored = file.metadata.find(kDataKey);
  if (stored != file.metadata.end()) {
    data_from_json(stored->second, o.model, data_spec, data_options);
    // Only the command line names files to read, never a model file.
    if (!o.data && !data_spec.builtin()) {
      throw UsageError("--data is required: " + o.model + " was trained on " + data_spec.text +
                       "; eval reads only data named on its command line or the built-in "
                       "data sets");
    }
  } else if (!o.data) {
    throw UsageError("--data is required: " + o.model + " does not record its training data");
  }
  if (o.data) data_spec = parse_data_spec(*o.data);
  if (o.samples) data_options.samples = *o.samples;
  if (o.noise) data_options.noise = *o.noise;
  if (o.centers) data_options.centers = *o.centers;
  if (o.seed) data_options.seed = *o.seed;
  if (o.test_fraction) data_options.test_fraction = *o.test_fraction;

  set_phase("loading the data");
  if (!o.json.empty()) check_output("--json", o.json, input_files(data_spec, o.model));
  // CSV labels are read as the model's classes (a class missing from the data shifts none).
  const LoadedData data =
      load_data(data_spec, data_options, ModelClasses{spec.class_names, spec.outputs});
  const data::Dataset ds = select_split(data, o.split);
  std::vector<std::string> names = spec.class_names;
  if (names.empty() && static_cast<std::int64_t>(data.class_names.size()) == spec.outputs) {
    names = data.class_names;
  }

  std::cout << "model: " << o.model << ": " << spec.describe() << ", loss " << spec.loss << " ("
            << model->num_parameters() << " parameters)\n";
  const std::string trained = describe_training_setup(file.metadata);
  if (!trained.empty()) std::cout << trained << "\n";
  std::cout << "data: " << data_spec.text << ", " << o.split << " part (" << ds.size()
            << " samples)\n\n";
  set_phase("evaluating");
  const Predictions p = predict(*model, spec, ds, o.batch_size);
  const Evaluation e = evaluate(p, spec.outputs, names);
  std::cout << format_evaluation(e) << std::flush;

  set_phase("writing the report");
  if (!o.json.empty()) {
    nlohmann::json context;
    context["model"] = o.model;
    context["architecture"] = spec.describe();
    context["data"] = data_spec.text;
    context["split"] = o.split;
    write_file_atomic("--json", o.json, evaluation_json(e, context.dump()));
    std::cout << "wrote the report to " << o.json << "\n";
  }
  if (!o.plot.empty()) {
    make_plot_dir(o.plot);
    plot_evaluation(o.plot, e);
    const bool regions = plot_regions(o.plot, *model, ds, names, spec.outputs);
    std::cout << "wrote roc.svg, confusion.svg" << (regions ? ", regions.svg" : "") << " to "
              << o.plot << "\n";
  }
  return 0;
}

}  // namespace xg::cli

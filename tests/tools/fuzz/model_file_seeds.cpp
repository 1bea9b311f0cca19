// Writes the seed corpus of fuzz_model_file into the directory given as the only argument:
// model files with the tensors and metadata `xgrad train --save` writes (every normalization,
// dropout, an nll output layer, no hidden layer, class names, generated and file data), and one
// whose description claims sizes its tensors do not have. Run by scripts/fuzz.sh.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tools/xgrad/data_source.hpp"
#include "tools/xgrad/model_spec.hpp"

namespace {

// The model's state with the spec `claimed` and the data options as metadata, written as
// other tools write safetensors files: without xgrad's CRCs, so that the fuzzer's
// mutations of the header reach the checks behind the reader.
void write(const std::string& path, const xg::cli::ModelSpec& spec, const std::string& data,
           const xg::cli::DataOptions& options, const xg::cli::ModelSpec& claimed) {
  nlohmann::json header;
  std::string values;
  for (const auto& [name, t] : xg::cli::build_model(spec)->state_dict()) {
    const std::vector<float> v = t.to_vector<float>();
    const std::size_t begin = values.size();
    values.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
    header[name] = {{"dtype", "F32"},
                    {"shape", std::vector<std::int64_t>(t.shape().begin(), t.shape().end())},
                    {"data_offsets", {begin, values.size()}}};
  }
  header["__metadata__"] = {
      {xg::cli::kModelKey, xg::cli::spec_to_json(claimed)},
      {xg::cli::kDataKey, xg::cli::data_to_json(xg::cli::parse_data_spec(data), options)}};
  std::string text = header.dump();
  while (text.size() % 8 != 0) text += ' ';
  std::string length(8, '\0');
  for (std::size_t i = 0; i < 8; ++i) length[i] = static_cast<char>(text.size() >> (8 * i));
  std::ofstream(path, std::ios::binary) << length << text << values;
}

void write_seeds(const std::string& dir) {
  using xg::cli::ModelSpec;
  const ModelSpec xor_net{.inputs = 2, .hidden = {4}, .outputs = 2};
  write(dir + "/xor.safetensors", xor_net, "xor", {.samples = 64}, xor_net);
  const ModelSpec blobs{.inputs = 2,
                        .hidden = {3, 2},
                        .outputs = 3,
                        .activation = "tanh",
                        .dropout = 0.25,
                        .loss = "nll",
                        .normalize = "per-feature",
                        .class_names = {"a", "b", "c"}};
  write(dir + "/blobs.safetensors", blobs, "blobs", {.samples = 90, .noise = 0.5, .centers = 3},
        blobs);
  const ModelSpec linear{.inputs = 5, .hidden = {}, .outputs = 2, .normalize = "none"};
  write(dir + "/csv.safetensors", linear, "csv:train.csv,test.csv", {}, linear);
  ModelSpec claims = xor_net;
  claims.hidden = {1 << 20};
  write(dir + "/claims.safetensors", xor_net, "moons", {}, claims);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2) {
    write_seeds(argv[1]);
    return 0;
  }
  std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
  return 2;
}

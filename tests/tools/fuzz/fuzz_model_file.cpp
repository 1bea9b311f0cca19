// libFuzzer target for what `xgrad eval` does with a model file before it builds anything:
// any byte string, as a model file, must either be refused with FormatError (by the
// reader, by the model description's check against the tensors, or by the stored data
// options' bounds) or give a spec whose model builds, takes the file's tensors and runs
// -- never crash, hang or allocate more than the file backs. Built only with clang
// (XGRAD_BUILD_FUZZERS=ON); run by scripts/fuzz.sh.
//
// Each input is written to a file first (the reader takes a path): under /dev/shm when it
// exists, named after the process so that parallel fuzzers do not collide.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tools/xgrad/data_source.hpp"
#include "tools/xgrad/model_spec.hpp"
#include "xgrad/autograd/factories.hpp"
#include "xgrad/nn/serialize.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();  // an invariant broke: libFuzzer reports it as a crash
}

std::string scratch() {
  static const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return dir + "/xgrad_fuzz_model_file_" + std::to_string(getpid()) + ".safetensors";
}

void cleanup() { std::remove(scratch().c_str()); }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::atexit(cleanup);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = scratch();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  check(f != nullptr);
  check(size == 0 || std::fwrite(data, 1, size, f) == size);
  check(std::fclose(f) == 0);

  xg::nn::TensorFile file;
  xg::cli::ModelSpec spec;
  try {
    file = xg::nn::load_tensor_file(path);
    spec = xg::cli::spec_from_model_file(file, path);
  } catch (const xg::FormatError&) {
    return 0;
  }
  // A spec that passed the check builds, loads the file's tensors and runs.
  const auto model = xg::cli::build_model(spec);
  xg::nn::load(*model, file, path);
  model->eval();
  const xg::Tensor out = (*model)(xg::zeros({1, spec.inputs}));
  check(out.shape() == xg::Shape({1, spec.outputs}));

  const auto stored = file.metadata.find(xg::cli::kDataKey);
  if (stored == file.metadata.end()) return 0;
  xg::cli::DataSpec data_spec;
  xg::cli::DataOptions options;
  try {
    xg::cli::data_from_json(stored->second, path, data_spec, options);
  } catch (const xg::FormatError&) {
    return 0;
  }
  check(options.samples >= 4 && options.samples <= xg::cli::kMaxSamples);
  check(options.centers >= 2 && options.centers <= xg::cli::kMaxCenters);
  check(options.test_fraction > 0.0 && options.test_fraction < 1.0);
  return 0;
}

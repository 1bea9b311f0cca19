// nn::save / nn::load: a Module's state_dict through the safetensors reader and writer.
#include "nn/serialize.hpp"

#include <string>

namespace xg::nn {

void save(const Module& module, const std::string& path, const Metadata& metadata) {
  save_tensors(module.state_dict(), path, metadata);
}

void load(Module& module, const std::string& path, bool strict) {
  // The whole file is read and verified into new tensors first; load_state_dict then
  // checks every key and shape before it copies anything. So a corrupt or mismatched
  // file leaves the model as it was.
  load(module, load_tensor_file(path), path, strict);
}

void load(Module& module, const TensorFile& file, const std::string& path, bool strict) {
  // Keep load_state_dict's exception type, and say which file did not fit.
  const std::string prefix = "load: \"" + path + "\" does not fit the model: ";
  try {
    module.load_state_dict(file.tensors, strict);
  } catch (const ShapeError& e) {
    throw ShapeError(prefix + e.what());
  } catch (const DtypeError& e) {
    throw DtypeError(prefix + e.what());
  } catch (const ValueError& e) {
    throw ValueError(prefix + e.what());
  }
}

}  // namespace xg::nn

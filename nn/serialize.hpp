// Saving and loading a model: a Module's parameters and buffers (its state_dict, by dotted
// name) in a safetensors file (see nn/safetensors.hpp for the format and its checks).
//
//   xg::nn::save(model, "model.safetensors");
//   xg::nn::load(model, "model.safetensors");  // into a model of the same architecture
//
// The format is the one Python's `safetensors` reads and writes (tested here against
// NumPy-only scripts, tests/nn/*_safetensors_numpy.py), so models move both ways when their
// names and shapes fit.
#pragma once

#include <memory>

#include "xgrad/nn/module.hpp"
#include "xgrad/nn/safetensors.hpp"

namespace xg::nn {

// Writes module.state_dict() and the user's metadata, atomically (a temporary file renamed
// into place: a crash mid-save keeps the previous file; a symbolic link, FIFO or device
// at `path` is refused). Errors as save_tensors.
void save(const Module& module, const std::string& path, const Metadata& metadata = {});
inline void save(const std::shared_ptr<Module>& module, const std::string& path,
                 const Metadata& metadata = {}) {
  save(*module, path, metadata);
}

// Reads the file completely and checks it (FormatError on any corruption, see
// load_tensors), then checks it against the model with load_state_dict's rules (strict: a
// missing key, an unexpected key, a shape mismatch throw ValueError / ShapeError /
// DtypeError naming the file, the key and both shapes), and only then copies the values
// (converted to each parameter's dtype). On any failure the model is unchanged.
void load(Module& module, const std::string& path, bool strict = true);
// The same for a file already read with load_tensor_file (`path` names it in messages), so
// that a caller who needs the file's metadata first reads the file only once.
void load(Module& module, const TensorFile& file, const std::string& path, bool strict = true);
inline void load(const std::shared_ptr<Module>& module, const std::string& path,
                 bool strict = true) {
  load(*module, path, strict);
}

}  // namespace xg::nn

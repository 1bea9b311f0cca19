// A table of a model's layers with their output shapes and parameter counts, like
// torchinfo.summary / Keras' model.summary(). (Printing a module, operator<<, gives the
// PyTorch-style nested repr() instead.)
//
//   std::cout << xg::nn::summary(model, {1, 784});
//
//   Sequential: input (1, 784) -> output (1, 10)
//   --------------------------------------------------------------
//   Layer (type)                   Output shape            Param #
//   ==============================================================
//   0 (Linear)                     (1, 256)                200,960
//   1 (ReLU)                       (1, 256)                      0
//   2 (Linear)                     (1, 10)                   2,570
//   ==============================================================
//   Total params: 203,530
//   Trainable params: 203,530
//   Non-trainable params: 0
//   Params size (MB): 0.78
//   --------------------------------------------------------------
//
// Output shapes come from one forward pass on zeros of input_shape (include the batch
// axis) in the dtype of the model's first parameter (f32 if it has none), run in eval
// mode under NoGradGuard with a forward hook on every module; the modes are restored
// afterwards. Errors from that forward (a wrong input shape) propagate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

struct LayerSummary {
  std::string path;                   // dotted path in the model ("layers.0")
  std::string type_name;              // "Linear"
  int depth = 1;                      // 1 for the model's children, 2 for theirs, ...
  bool called = false;                // false when the forward never ran this module (no shape)
  Shape output_shape;                 // of the module's last call
  std::int64_t own_parameters = 0;    // registered on this module itself
  std::int64_t total_parameters = 0;  // with its descendants
  bool has_children = false;
};

struct ModelSummary {
  std::string model_type;
  Shape input_shape;
  Shape output_shape;
  std::vector<LayerSummary> layers;  // every descendant, depth first in registration order
  std::int64_t total_parameters = 0;
  std::int64_t trainable_parameters = 0;
  std::int64_t total_bytes = 0;  // parameters' storage (elements x dtype size)

  // The table shown above. Rows are indented by depth; a container without parameters of
  // its own shows "--" (its children's rows carry their counts, so the column adds up to
  // the total).
  std::string str() const;
};

ModelSummary summarize(Module& model, const Shape& input_shape);
std::string summary(Module& model, const Shape& input_shape);

}  // namespace xg::nn

// The reverse-mode engine's public entry points beyond Tensor::backward().
#pragma once

#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xg {

// The fields in the order of torch.autograd.grad's arguments (and retain_graph before
// create_graph as in BackwardOptions), so designated initializers read the same everywhere:
// {.grad_outputs = {g}, .retain_graph = true, .create_graph = true, .allow_unused = true}.
struct GradOptions {
  // Gradients of the outputs (each of its output's shape); empty means ones for outputs
  // that hold one element.
  std::vector<Tensor> grad_outputs = {};
  bool retain_graph = false;  // keep the graph (implied by create_graph)
  bool create_graph = false;  // record the backward pass so results can be differentiated
  bool allow_unused = false;  // an input the outputs do not depend on gives an undefined
                              // tensor instead of a GraphError
};

// Gradients of sum(outputs[i] * grad_outputs[i]) with respect to each input, returned
// instead of accumulated into .grad(). Without grad_outputs every output must hold one
// element. Inputs may be leaves or intermediate tensors.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const GradOptions& opts = {});

}  // namespace xg

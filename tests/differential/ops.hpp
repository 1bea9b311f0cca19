// The ops of the differential test's runner, by the names gen_programs.py uses: each one
// takes the step's tensor arguments and its JSON attributes.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include <xgrad.hpp>

namespace difftest {

using OpFn = std::function<xg::Tensor(std::vector<xg::Tensor>&, const nlohmann::json&)>;
using OpTable = std::unordered_map<std::string, OpFn>;

// Adds the convolution, pooling and normalisation ops of gen_nn.py (nn_ops.cpp).
void add_nn_ops(OpTable& table);

}  // namespace difftest

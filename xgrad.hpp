// xgrad: reverse-mode automatic differentiation with neural-network modules.
// The one header users include. It pulls in no third-party headers.
#pragma once

#include "autograd/dtype.hpp"
#include "autograd/engine.hpp"
#include "autograd/errors.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/ops/activation.hpp"
#include "autograd/ops/compare.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/reduce.hpp"
#include "autograd/ops/shape.hpp"
#include "autograd/ops/softmax.hpp"
#include "autograd/random.hpp"
#include "autograd/runtime.hpp"
#include "autograd/tensor.hpp"

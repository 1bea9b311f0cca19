// The exceptions xgrad throws for user mistakes. Every message names the op and the
// offending shapes or values, e.g.
//   "matmul: cannot multiply (2, 3) by (4, 5): inner sizes 3 and 4 differ".
#pragma once

#include <stdexcept>
#include <string>

namespace xg {

// Shapes that do not fit the op (broadcasting, matmul sizes, axes out of range, ...).
struct ShapeError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// An element type the op cannot take, or two float dtypes mixed in one op.
struct DtypeError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// A value out of its allowed range: an index past the end, a negative probability, ...
struct ValueError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Integer arithmetic whose exact result does not fit its dtype: an i64 add, sub, mul, neg,
// abs or sum past +-2^63 (PyTorch wraps around; xgrad refuses).
struct OverflowError : std::overflow_error {
  using std::overflow_error::overflow_error;
};

// Misuse of the computation graph: backward twice without retain_graph, backward on a
// tensor that does not require grad, ...
struct GraphError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A file that is not what it claims to be (model files, IDX data). The message names
// the file and the byte offset.
struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace xg

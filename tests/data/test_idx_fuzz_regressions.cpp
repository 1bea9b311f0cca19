// Inputs found by the IDX fuzzer (scripts/fuzz.sh, tests/data/fuzz/fuzz_idx.cpp), kept as
// regression tests: each once escaped the reader's contract (FormatError or a tensor).
#include <doctest/doctest.h>

#include "idx_bytes.hpp"
#include "support/check.hpp"
#include "xgrad/data/idx.hpp"

using xg::test::Bytes;

// fuzz_idx-crash-0cdb9cfec150b4fd286a1a7add836c38d6b817b6 (20 bytes): i8 data of shape
// (16779265, 2048, 335544320, 0). It holds no element, so the reader's unsigned size
// check passed; but the running product of the sizes overflows an i64 before the final 0,
// and Tensor creation then threw ShapeError, which the reader's contract does not allow.
TEST_CASE("idx fuzz regression: sizes whose running product overflows before a zero") {
  const Bytes b = {0x00, 0x00, 0x09, 0x04, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00,
                   0x08, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  xg::test::check_throws<xg::FormatError>(
      [&] { (void)xg::data::decode_idx(b, "crash.idx"); },
      {"crash.idx", "offset 4", "(16779265, 2048, 335544320, 0)"});
  // The zero first does not help: the strides of an empty tensor are products of its
  // sizes too, and these overflow (autograd::valid_shape).
  const Bytes zero_first = xg::test::idx_header(0x09, {0, 16779265, 2048, 335544320});
  xg::test::check_throws<xg::FormatError>(
      [&] { (void)xg::data::decode_idx(zero_first, "empty.idx"); },
      {"empty.idx", "offset 4", "(0, 16779265, 2048, 335544320)", "multiply past 64 bits"});
}

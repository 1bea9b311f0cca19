// Writes the seed corpus of fuzz_safetensors into the directory given as the only
// argument: files saved by xgrad (with their CRCs) and files as other tools write them
// (no xgrad metadata, so no CRC stops a mutation early), with every dtype, a 0-D and an
// empty tensor, and metadata; and a file of 100,000 tensors (a 7 MB header, which the
// reader parses in linear time; mutations see its first -max_len bytes). Run by
// scripts/fuzz.sh before the fuzzer.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "tests/support/many_tensors.hpp"
#include "xgrad/autograd/tensor.hpp"
#include "xgrad/nn/safetensors.hpp"

namespace {

// [u64 little-endian header length][header padded with spaces to 8 bytes][data]
void write_foreign(const std::string& path, std::string header, const std::string& data) {
  while (header.size() % 8 != 0) header += ' ';
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(header.size() >> (8 * i));
  std::ofstream f(path, std::ios::binary);
  f << out << header << data;
}

std::string f32_bytes(std::initializer_list<float> v) {
  return std::string(reinterpret_cast<const char*>(std::data(v)), v.size() * sizeof(float));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  using xg::nn::save_tensors;
  save_tensors({{"weight", xg::tensor({1.0, -2.0, 0.5, 3.0, 0.0, -0.25}, {2, 3})},
                {"bias", xg::tensor({0.1, 0.2}, {2})}},
               dir + "/xgrad_f32.safetensors");
  save_tensors({{"a", xg::tensor({1.5, -2.5}, {2, 1}, {.dtype = xg::f64})},
                {"idx", xg::tensor_i64({3, -1, 7}, {3})},
                {"scalar", xg::scalar_tensor(4.0)},
                {"empty", xg::zeros({0, 4})}},
               dir + "/xgrad_mixed.safetensors", {{"epoch", "3"}, {"note", "seed"}});
  write_foreign(dir + "/foreign_f32.safetensors",
                R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})",
                f32_bytes({1.0f, 2.0f, -3.0f, 0.5f}));
  write_foreign(dir + "/foreign_two.safetensors",
                R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[1],)"
                R"("data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                f32_bytes({1.0f, 2.0f, 3.0f}));
  write_foreign(dir + "/foreign_i64_f64.safetensors",
                R"({"i":{"dtype":"I64","shape":[],"data_offsets":[0,8]},)"
                R"("d":{"dtype":"F64","shape":[1,1],"data_offsets":[8,16]}})",
                std::string("\x05\0\0\0\0\0\0\0\0\0\0\0\0\0\xf0\x3f", 16));
  write_foreign(dir + "/foreign_empty.safetensors",
                R"({"e":{"dtype":"F32","shape":[0],)"
                R"("data_offsets":[0,0]}})",
                "");
  write_foreign(dir + "/foreign_bf16.safetensors",  // a dtype xgrad does not read
                R"({"h":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})",
                std::string("\x80\x3f\x00\x40", 4));
  std::ofstream(dir + "/foreign_100k.safetensors", std::ios::binary)
      << xg::test::many_tensors_file(100'000);
  return 0;
}

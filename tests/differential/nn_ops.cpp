// The convolution, pooling and normalisation ops of the differential test (gen_nn.py
// draws them and runs them in PyTorch): the step's attributes in PyTorch's form (one
// number or a list per spatial dimension, null for an argument left out) turned into
// xgrad's options.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ops.hpp"

namespace difftest {
namespace {

using json = nlohmann::json;
using xg::Tensor;

std::int64_t i64(const json& s, const char* key) { return s.at(key).get<std::int64_t>(); }

std::optional<std::int64_t> opt_i64(const json& s, const char* key) {
  if (s.at(key).is_null()) return std::nullopt;
  return s[key].get<std::int64_t>();
}

std::optional<double> opt_f64(const json& s, const char* key) {
  if (s.at(key).is_null()) return std::nullopt;
  return s[key].get<double>();
}

// One number for both spatial dimensions, or [h, w].
template <class Size> Size size2(const json& j) {
  if (j.is_number()) return Size(j.get<std::int64_t>());
  return Size(j.at(0).get<std::int64_t>(), j.at(1).get<std::int64_t>());
}

// A pool's stride: null (not given: the kernel size) or a size.
xg::Size2 pool_stride(const json& j) { return j.is_null() ? xg::Size2() : size2<xg::Size2>(j); }

// Convolution padding: "same" / "valid", one number or [h, w].
xg::ConvPadding conv_padding(const json& j) {
  if (j.is_string()) return xg::ConvPadding(j.get<std::string>());
  return size2<xg::ConvPadding>(j);
}

// null, one value or a list, as a list (interpolate's size and scale_factor).
template <class T> std::vector<T> values(const json& j) {
  if (j.is_null()) return {};
  if (j.is_number()) return {j.get<T>()};
  return j.get<std::vector<T>>();
}

xg::PadMode pad_mode(const std::string& mode) {
  if (mode == "reflect") return xg::PadMode::reflect;
  if (mode == "replicate") return xg::PadMode::replicate;
  return xg::PadMode::constant;
}

xg::FoldOptions fold_options(const json& s) {
  return {.dilation = size2<xg::Size2>(s.at("dilation")),
          .padding = size2<xg::Size2>(s.at("padding")),
          .stride = size2<xg::Size2>(s.at("stride"))};
}

Tensor bias_of(const std::vector<Tensor>& a) { return a.size() > 2 ? a[2] : Tensor(); }

}  // namespace

void add_nn_ops(OpTable& table) {
  using A = std::vector<Tensor>;
  using J = const json&;
  table.insert({
      {"pad",
       [](A& a, J s) {
         return xg::pad(a[0], s.at("pad").get<std::vector<std::int64_t>>(),
                        pad_mode(s.at("mode").get<std::string>()), s.value("value", 0.0));
       }},
      {"unfold",
       [](A& a, J s) {
         return xg::unfold(a[0], size2<xg::Size2>(s.at("kernel")), fold_options(s));
       }},
      {"fold",
       [](A& a, J s) {
         return xg::fold(a[0], size2<xg::Size2>(s.at("output_size")),
                         size2<xg::Size2>(s.at("kernel")), fold_options(s));
       }},
      {"conv1d",
       [](A& a, J s) {
         return xg::conv1d(a[0], a[1], bias_of(a),
                           {.stride = i64(s, "stride"),
                            .padding = conv_padding(s.at("padding")),
                            .dilation = i64(s, "dilation"),
                            .groups = i64(s, "groups")});
       }},
      {"conv2d",
       [](A& a, J s) {
         return xg::conv2d(a[0], a[1], bias_of(a),
                           {.stride = size2<xg::Size2>(s.at("stride")),
                            .padding = conv_padding(s.at("padding")),
                            .dilation = size2<xg::Size2>(s.at("dilation")),
                            .groups = i64(s, "groups")});
       }},
      {"conv_transpose2d",
       [](A& a, J s) {
         return xg::conv_transpose2d(a[0], a[1], bias_of(a),
                                     {.stride = size2<xg::Size2>(s.at("stride")),
                                      .padding = size2<xg::Size2>(s.at("padding")),
                                      .output_padding = size2<xg::Size2>(s.at("output_padding")),
                                      .groups = i64(s, "groups"),
                                      .dilation = size2<xg::Size2>(s.at("dilation"))});
       }},
      {"max_pool2d",
       [](A& a, J s) {
         return xg::max_pool2d(a[0], {.kernel_size = size2<xg::Size2>(s.at("kernel")),
                                      .stride = pool_stride(s.at("stride")),
                                      .padding = size2<xg::Size2>(s.at("padding")),
                                      .dilation = size2<xg::Size2>(s.at("dilation")),
                                      .ceil_mode = s.at("ceil_mode").get<bool>()});
       }},
      {"avg_pool2d",
       [](A& a, J s) {
         return xg::avg_pool2d(a[0], {.kernel_size = size2<xg::Size2>(s.at("kernel")),
                                      .stride = pool_stride(s.at("stride")),
                                      .padding = size2<xg::Size2>(s.at("padding")),
                                      .ceil_mode = s.at("ceil_mode").get<bool>(),
                                      .count_include_pad = s.at("count_include_pad").get<bool>(),
                                      .divisor_override = opt_i64(s, "divisor_override")});
       }},
      {"adaptive_avg_pool2d",
       [](A& a, J s) {
         return xg::adaptive_avg_pool2d(a[0], size2<xg::Size2>(s.at("output_size")));
       }},
      {"max_pool1d",
       [](A& a, J s) {
         return xg::max_pool1d(a[0], {.kernel_size = i64(s, "kernel"),
                                      .stride = opt_i64(s, "stride"),
                                      .padding = i64(s, "padding"),
                                      .dilation = i64(s, "dilation"),
                                      .ceil_mode = s.at("ceil_mode").get<bool>()});
       }},
      {"avg_pool1d",
       [](A& a, J s) {
         return xg::avg_pool1d(a[0], {.kernel_size = i64(s, "kernel"),
                                      .stride = opt_i64(s, "stride"),
                                      .padding = i64(s, "padding"),
                                      .ceil_mode = s.at("ceil_mode").get<bool>(),
                                      .count_include_pad = s.at("count_include_pad").get<bool>()});
       }},
      {"upsample_nearest2d",
       [](A& a, J s) {
         return xg::upsample_nearest2d(a[0], size2<xg::Size2>(s.at("size")), opt_f64(s, "scale_h"),
                                       opt_f64(s, "scale_w"));
       }},
      {"interpolate",
       [](A& a, J s) {
         return xg::interpolate(a[0], {.size = values<std::int64_t>(s.at("size")),
                                       .scale_factor = values<double>(s.at("scale_factor"))});
       }},
      // Arguments: x, then running_mean and running_var ("stats"), weight, bias when given.
      {"batch_norm",
       [](A& a, J s) {
         std::size_t next = 1;
         auto take = [&](const char* flag) {
           return s.at(flag).get<bool>() ? a.at(next++) : Tensor();
         };
         const Tensor running_mean = take("stats");
         const Tensor running_var = take("stats");
         const Tensor weight = take("weight");
         const Tensor bias = take("bias");
         return xg::batch_norm(a[0], running_mean, running_var, weight, bias,
                               s.at("training").get<bool>(), s.at("momentum").get<double>(),
                               s.at("eps").get<double>());
       }},
  });
}

}  // namespace difftest

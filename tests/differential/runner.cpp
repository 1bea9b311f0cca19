// Differential test of xgrad against PyTorch: runs the random programs written by
// gen_programs.py (steps over named tensors, a loss, first- or second-order gradients)
// through xgrad and compares every value, gradient and error with PyTorch's, in float64.
//
// Usage: test_differential PROGRAMS.json [--all] [--id N] [--ops]
//   --all   print every disagreement (default: the first 20)
//   --id N  run only program N
//   --ops   print, per op, the programs using it and how many agree
// Exit status: 0 when all programs agree, 1 otherwise, 77 (skip) when the programs file is
// missing because /usr/bin/python3 has no torch.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include <xgrad.hpp>

#include "ops.hpp"

namespace {

using json = nlohmann::json;
using xg::Tensor;

// Agreement of two float64 values: |got - expected| <= atol + rtol * |expected|.
constexpr double kRtol = 1e-7;
constexpr double kAtol = 1e-9;
constexpr int kShownByDefault = 20;
constexpr const char* kSkipMessage =
    "differential test skipped: /usr/bin/python3 with torch is missing (scripts/setup.sh "
    "installs python3-torch)";

using Env = std::map<std::string, Tensor>;

std::optional<double> opt_double(const json& step, const char* key) {
  if (!step.contains(key) || step[key].is_null()) return std::nullopt;
  return step[key].get<double>();
}

xg::Shape shape_of(const json& j) { return j.get<xg::Shape>(); }

json tensor_json(const Tensor& t) {
  if (!t.defined()) return nullptr;
  return {{"shape", t.shape()}, {"data", t.to_vector<double>()}};
}

json tensors_json(const std::vector<Tensor>& ts) {
  json out = json::array();
  for (const Tensor& t : ts) out.push_back(tensor_json(t));
  return out;
}

using difftest::OpFn;

// The ops by the names gen_programs.py uses (PyTorch's, with _s for a scalar operand).
const difftest::OpTable& ops() {
  using A = std::vector<Tensor>;
  using J = const json&;
  auto c = [](J s) { return s.at("scalar").get<double>(); };
  auto axes = [](J s) { return s.at("axes").get<xg::Axes>(); };
  auto keepdim = [](J s) { return s.value("keepdim", false); };
  auto has_axes = [](J s) { return s.contains("axes") && !s["axes"].is_null(); };
  // Comparison with a tensor or a scalar right-hand side.
  auto cmp = [c](Tensor (*tt)(const Tensor&, const Tensor&),
                 Tensor (*ts)(const Tensor&, double)) -> OpFn {
    return [=](A& a, J s) { return a.size() > 1 ? tt(a[0], a[1]) : ts(a[0], c(s)); };
  };
  static const difftest::OpTable table = [&] {
    difftest::OpTable t = {
      // Elementwise with broadcasting.
      {"add", [](A& a, J) { return xg::add(a[0], a[1]); }},
      {"sub", [](A& a, J) { return xg::sub(a[0], a[1]); }},
      {"mul", [](A& a, J) { return xg::mul(a[0], a[1]); }},
      {"div", [](A& a, J) { return xg::div(a[0], a[1]); }},
      {"maximum", [](A& a, J) { return xg::maximum(a[0], a[1]); }},
      {"minimum", [](A& a, J) { return xg::minimum(a[0], a[1]); }},
      {"pow", [](A& a, J) { return xg::pow(a[0], a[1]); }},
      {"add_s", [c](A& a, J s) { return a[0] + c(s); }},
      {"sub_s", [c](A& a, J s) { return a[0] - c(s); }},
      {"rsub_s", [c](A& a, J s) { return c(s) - a[0]; }},
      {"mul_s", [c](A& a, J s) { return a[0] * c(s); }},
      {"div_s", [c](A& a, J s) { return a[0] / c(s); }},
      {"rdiv_s", [c](A& a, J s) { return c(s) / a[0]; }},
      {"pow_s", [c](A& a, J s) { return xg::pow(a[0], c(s)); }},
      {"rpow_s", [c](A& a, J s) { return xg::pow(c(s), a[0]); }},
      {"neg", [](A& a, J) { return xg::neg(a[0]); }},
      {"exp", [](A& a, J) { return xg::exp(a[0]); }},
      {"log", [](A& a, J) { return xg::log(a[0]); }},
      {"sqrt", [](A& a, J) { return xg::sqrt(a[0]); }},
      {"abs", [](A& a, J) { return xg::abs(a[0]); }},
      {"square", [](A& a, J) { return xg::square(a[0]); }},
      {"clamp",
       [](A& a, J s) { return xg::clamp(a[0], opt_double(s, "min"), opt_double(s, "max")); }},
      // Activations.
      {"relu", [](A& a, J) { return xg::relu(a[0]); }},
      {"sigmoid", [](A& a, J) { return xg::sigmoid(a[0]); }},
      {"tanh", [](A& a, J) { return xg::tanh(a[0]); }},
      {"gelu", [](A& a, J s) { return xg::gelu(a[0], s.at("approximate").get<std::string>()); }},
      {"leaky_relu", [](A& a, J s) { return xg::leaky_relu(a[0], s.at("slope").get<double>()); }},
      {"softplus",
       [](A& a, J s) {
         return xg::softplus(a[0], s.at("beta").get<double>(), s.at("threshold").get<double>());
       }},
      {"elu", [](A& a, J s) { return xg::elu(a[0], s.at("alpha").get<double>()); }},
      // Reductions (no "axes": over all elements).
      {"sum",
       [=](A& a, J s) { return has_axes(s) ? xg::sum(a[0], axes(s), keepdim(s)) : xg::sum(a[0]); }},
      {"mean",
       [=](A& a, J s) {
         return has_axes(s) ? xg::mean(a[0], axes(s), keepdim(s)) : xg::mean(a[0]);
       }},
      {"amax",
       [=](A& a, J s) { return has_axes(s) ? xg::max(a[0], axes(s), keepdim(s)) : xg::max(a[0]); }},
      {"amin",
       [=](A& a, J s) { return has_axes(s) ? xg::min(a[0], axes(s), keepdim(s)) : xg::min(a[0]); }},
      {"logsumexp", [=](A& a, J s) { return xg::logsumexp(a[0], axes(s), keepdim(s)); }},
      {"var",
       [=](A& a, J s) {
         return xg::var(a[0], axes(s), s.at("correction").get<std::int64_t>(), keepdim(s));
       }},
      {"std",
       [=](A& a, J s) {
         return xg::std(a[0], axes(s), s.at("correction").get<std::int64_t>(), keepdim(s));
       }},
      {"softmax", [](A& a, J s) { return xg::softmax(a[0], s.at("axis").get<std::int64_t>()); }},
      {"log_softmax",
       [](A& a, J s) { return xg::log_softmax(a[0], s.at("axis").get<std::int64_t>()); }},
      // Linear algebra.
      {"matmul", [](A& a, J) { return xg::matmul(a[0], a[1]); }},
      {"linear", [](A& a, J) { return xg::linear(a[0], a[1], a.size() > 2 ? a[2] : Tensor()); }},
      // Shapes and indexing.
      {"reshape", [](A& a, J s) { return xg::reshape(a[0], shape_of(s.at("shape"))); }},
      {"flatten",
       [](A& a, J s) {
         return xg::flatten(a[0], s.at("start").get<std::int64_t>(),
                            s.at("end").get<std::int64_t>());
       }},
      {"transpose",
       [](A& a, J s) {
         return xg::transpose(a[0], s.at("dim0").get<std::int64_t>(),
                              s.at("dim1").get<std::int64_t>());
       }},
      {"permute", [=](A& a, J s) { return xg::permute(a[0], axes(s)); }},
      {"squeeze",
       [](A& a, J s) {
         return s.contains("axis") ? xg::squeeze(a[0], s["axis"].get<std::int64_t>())
                                   : xg::squeeze(a[0]);
       }},
      {"unsqueeze",
       [](A& a, J s) { return xg::unsqueeze(a[0], s.at("axis").get<std::int64_t>()); }},
      {"broadcast_to", [](A& a, J s) { return xg::broadcast_to(a[0], shape_of(s.at("shape"))); }},
      {"sum_to_size", [](A& a, J s) { return xg::sum_to_size(a[0], shape_of(s.at("shape"))); }},
      {"slice",
       [](A& a, J s) {
         return xg::slice(a[0], s.at("axis").get<std::int64_t>(), s.at("start").get<std::int64_t>(),
                          s.at("stop").get<std::int64_t>(), s.at("step").get<std::int64_t>());
       }},
      {"index_select",
       [](A& a, J s) { return xg::index_select(a[0], s.at("axis").get<std::int64_t>(), a[1]); }},
      {"gather",
       [](A& a, J s) { return xg::gather(a[0], s.at("axis").get<std::int64_t>(), a[1]); }},
      {"concat", [](A& a, J s) { return xg::concat(a, s.at("axis").get<std::int64_t>()); }},
      {"stack", [](A& a, J s) { return xg::stack(a, s.at("axis").get<std::int64_t>()); }},
      {"clone", [](A& a, J) { return a[0].clone(); }},
      {"detach", [](A& a, J) { return a[0].detach(); }},
      // Comparisons (i64 masks of 0 and 1) and where.
      {"gt", cmp(xg::gt, xg::gt)},
      {"lt", cmp(xg::lt, xg::lt)},
      {"ge", cmp(xg::ge, xg::ge)},
      {"le", cmp(xg::le, xg::le)},
      {"eq", cmp(xg::eq, xg::eq)},
      {"ne", cmp(xg::ne, xg::ne)},
      {"where", [](A& a, J) { return xg::where(a[0], a[1], a[2]); }},
      {"where_s", [c](A& a, J s) { return xg::where(a[0], a[1], c(s)); }},
      // In-place ops: a[0] aliases the target, which is also the result.
      {"add_", [](A& a, J) { return a[0].add_(a[1]); }},
      {"sub_", [](A& a, J) { return a[0].sub_(a[1]); }},
      {"mul_", [](A& a, J) { return a[0].mul_(a[1]); }},
      {"div_", [](A& a, J) { return a[0].div_(a[1]); }},
      {"add_s_", [c](A& a, J s) { return a[0].add_(c(s)); }},
      {"sub_s_", [c](A& a, J s) { return a[0].sub_(c(s)); }},
      {"mul_s_", [c](A& a, J s) { return a[0].mul_(c(s)); }},
      {"div_s_", [c](A& a, J s) { return a[0].div_(c(s)); }},
      {"fill_", [c](A& a, J s) { return a[0].fill_(c(s)); }},
      {"zero_", [](A& a, J) { return a[0].zero_(); }},
      {"copy_", [](A& a, J) { return a[0].copy_(a[1]); }},
      {"clamp_", [](A& a, J s) { return a[0].clamp_(opt_double(s, "min"), opt_double(s, "max")); }},
    };
    difftest::add_nn_ops(t);
    return t;
  }();
  return table;
}

// What a program produced: the same layout as gen_programs.py's "expected".
// An error records the stage ("step K", "grad", "grad2"), the message, and whether the
// exception was one of xgrad's (only those can agree with an expected error).
struct Runner {
  const json& prog;
  json got = json::object();
  Env env;

  void fail(const std::string& stage, const std::string& message, bool xg_error) {
    got["error"] = {{"stage", stage}, {"message", message}, {"xg", xg_error}};
  }

  std::vector<Tensor> tensors(const json& names) {
    std::vector<Tensor> out;
    for (const auto& n : names) out.push_back(env.at(n.get<std::string>()));
    return out;
  }

  void forward_and_grads(std::string& stage) {
    for (const auto& leaf : prog["leaves"]) {
      const xg::Shape shape = shape_of(leaf["shape"]);
      env[leaf["name"]] =
          leaf["dtype"] == "i64"
              ? xg::tensor_i64(leaf["values"].get<std::vector<std::int64_t>>(), shape)
              : xg::tensor(leaf["values"].get<std::vector<double>>(), shape,
                           {.dtype = xg::f64, .requires_grad = leaf["requires_grad"]});
    }
    const auto& steps = prog["steps"];
    for (std::size_t k = 0; k < steps.size(); ++k) {
      stage = "step " + std::to_string(k);
      std::vector<Tensor> args = tensors(steps[k].value("args", json::array()));
      env[steps[k]["out"]] = ops().at(steps[k]["op"])(args, steps[k]);
    }
    got["values"] = json::object();
    for (const auto& [name, t] : env) got["values"][name] = tensor_json(t);

    stage = "grad";
    const Tensor loss = env.at(prog["loss"]);
    got["loss"] = loss.item();
    const std::vector<Tensor> xs = tensors(prog["inputs"]);
    if (prog["mode"] == "backward") {
      loss.backward();
      std::vector<Tensor> grads;
      for (const Tensor& x : xs) grads.push_back(x.grad());
      got["grads"] = tensors_json(grads);
      return;
    }
    if (prog["order"] == 1) {
      got["grads"] = tensors_json(xg::grad({loss}, xs, {.allow_unused = true}));
      return;
    }
    // Second order: loss2 = sum over i of (g[i] * w[i]).sum() or g[i].pow(2).sum().
    const std::vector<Tensor> g =
        xg::grad({loss}, xs, {.create_graph = true, .allow_unused = true});
    got["grads"] = tensors_json(g);
    stage = "grad2";
    Tensor loss2;
    for (std::size_t i = 0; i < g.size() && i < prog["combine"].size(); ++i) {
      if (!g[i].defined()) continue;
      const json& comb = prog["combine"][i];
      const Tensor term =
          comb["kind"] == "mul" ? xg::sum(g[i] * env.at(comb["w"])) : xg::sum(xg::pow(g[i], 2.0));
      loss2 = loss2.defined() ? loss2 + term : term;
    }
    if (!loss2.defined()) {
      fail(stage, "runner: no first-order gradient to differentiate", false);
      return;
    }
    got["loss2"] = loss2.item();
    got["grads2"] =
        tensors_json(xg::grad({loss2}, tensors(prog["inputs2"]), {.allow_unused = true}));
  }

  json run() {
    std::string stage = "leaves";
    try {
      forward_and_grads(stage);
    } catch (const xg::ShapeError& e) {
      fail(stage, std::string("ShapeError: ") + e.what(), true);
    } catch (const xg::DtypeError& e) {
      fail(stage, std::string("DtypeError: ") + e.what(), true);
    } catch (const xg::ValueError& e) {
      fail(stage, std::string("ValueError: ") + e.what(), true);
    } catch (const xg::GraphError& e) {
      fail(stage, std::string("GraphError: ") + e.what(), true);
    } catch (const xg::FormatError& e) {
      fail(stage, std::string("FormatError: ") + e.what(), true);
    } catch (const std::exception& e) {
      fail(stage, std::string("non-xgrad exception: ") + e.what(), false);
    }
    return got;
  }
};

// --- comparison ---------------------------------------------------------------------

std::string short_values(const json& data, std::size_t limit = 8) {
  std::ostringstream os;
  os.precision(10);
  os << "[";
  for (std::size_t i = 0; i < data.size() && i < limit; ++i) {
    os << (i ? ", " : "") << data[i].get<double>();
  }
  if (data.size() > limit) os << ", ... (" << data.size() << " values)";
  os << "]";
  return os.str();
}

std::string tensor_str(const json& t) {
  if (t.is_null()) return "None";
  return "shape " + xg::shape_str(shape_of(t["shape"])) + " " + short_values(t["data"]);
}

bool close(double got, double expected) {
  return std::abs(got - expected) <= kAtol + kRtol * std::abs(expected);
}

// Appends a line to `out` when the two tensors (or None) differ.
void compare_tensor(const std::string& what, const json& expected, const json& got,
                    std::vector<std::string>& out) {
  bool same = expected.is_null() == got.is_null();
  if (same && !expected.is_null()) {
    same = expected["shape"] == got["shape"] && expected["data"].size() == got["data"].size();
    for (std::size_t i = 0; same && i < expected["data"].size(); ++i) {
      same = close(got["data"][i].get<double>(), expected["data"][i].get<double>());
    }
  }
  if (!same) {
    out.push_back(what + ": expected " + tensor_str(expected) + ", got " + tensor_str(got));
  }
}

void compare_list(const std::string& what, const json& names, const json& expected, const json& got,
                  std::vector<std::string>& out) {
  if (!got.is_array() || got.size() != expected.size()) {
    out.push_back(what + ": expected " + std::to_string(expected.size()) + " gradients, got " +
                  (got.is_array() ? std::to_string(got.size()) : std::string("none")));
    return;
  }
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::string name = i < names.size() ? names[i].get<std::string>() : "?";
    compare_tensor(what + "[" + std::to_string(i) + "] (d/d" + name + ")", expected[i], got[i],
                   out);
  }
}

// The disagreements between PyTorch's outcome and xgrad's, one line each.
std::vector<std::string> compare(const json& prog, const json& exp, const json& got) {
  std::vector<std::string> out;
  const bool exp_err = exp.contains("error");
  const bool got_err = got.contains("error");
  if (exp_err) {
    const json& e = exp["error"];
    if (!got_err || !got["error"]["xg"] || got["error"]["stage"] != e["stage"]) {
      out.push_back("expected an error at " + e["stage"].get<std::string>() +
                    " (PyTorch: " + e["message"].get<std::string>() + "), got " +
                    (got_err ? "at " + got["error"]["stage"].get<std::string>() + ": " +
                                   got["error"]["message"].get<std::string>()
                             : std::string("no error")));
    }
  } else if (got_err) {
    out.push_back("xgrad threw at " + got["error"]["stage"].get<std::string>() + ": " +
                  got["error"]["message"].get<std::string>());
  }
  if (exp.contains("values") && got.contains("values")) {
    for (const auto& [name, t] : exp["values"].items()) {
      compare_tensor("value of " + name, t, got["values"].value(name, json()), out);
    }
  }
  for (const char* key : {"loss", "loss2"}) {
    if (exp.contains(key) && got.contains(key) &&
        !close(got[key].get<double>(), exp[key].get<double>())) {
      std::ostringstream os;
      os.precision(12);
      os << key << ": expected " << exp[key].get<double>() << ", got " << got[key].get<double>();
      out.push_back(os.str());
    }
  }
  if (exp.contains("grads") && (got.contains("grads") || !got_err)) {
    compare_list("grads", prog["inputs"], exp["grads"], got.value("grads", json()), out);
  }
  if (exp.contains("grads2") && (got.contains("grads2") || !got_err)) {
    compare_list("grads2", prog["inputs2"], exp["grads2"], got.value("grads2", json()), out);
  }
  return out;
}

// --- reporting ------------------------------------------------------------------------

// "t5 = mul(x1, c2)", "t5.add_(x1)", "t7 = sum(t6, axes=[0], keepdim=true)".
std::string step_str(const json& s) {
  const std::string op = s["op"];
  const bool inplace = op.back() == '_';
  std::vector<std::string> parts;
  const json args = s.value("args", json::array());
  for (std::size_t i = inplace ? 1 : 0; i < args.size(); ++i) parts.push_back(args[i]);
  for (const auto& [k, v] : s.items()) {
    if (k != "op" && k != "args" && k != "out") parts.push_back(k + "=" + v.dump());
  }
  std::string joined;
  for (const auto& p : parts) joined += (joined.empty() ? "" : ", ") + p;
  const std::string out = s["out"];
  return inplace ? out + "." + op + "(" + joined + ")" : out + " = " + op + "(" + joined + ")";
}

void print_program(const json& prog, const std::vector<std::string>& diffs) {
  std::cout << "--- program " << prog["id"] << " (order " << prog["order"] << ")\n";
  for (const auto& l : prog["leaves"]) {
    std::cout << "  leaf " << l["name"].get<std::string>() << ": " << l["dtype"].get<std::string>()
              << " " << xg::shape_str(shape_of(l["shape"]))
              << (l["requires_grad"] ? " requires_grad " : " ") << short_values(l["values"], 6)
              << "\n";
  }
  for (const auto& s : prog["steps"]) std::cout << "  " << step_str(s) << "\n";
  if (prog.contains("loss")) {
    std::cout << "  " << (prog["mode"] == "backward" ? "backward" : "grad")
              << "(loss=" << prog["loss"].get<std::string>() << ", inputs=" << prog["inputs"].dump()
              << ")";
    if (prog["order"] == 2) {
      std::cout << " create_graph; loss2 from " << prog["combine"].dump() << ", grad(loss2, "
                << prog["inputs2"].dump() << ")";
    }
    std::cout << "\n";
  }
  for (const auto& d : diffs) std::cout << "  DIFF " << d << "\n";
}

// Programs per op (--ops): those with a step of the op, of which second-order, expecting
// an error at such a step, and agreeing with PyTorch.
struct OpCount {
  long programs = 0, second = 0, errors = 0, agree = 0;
};

void count_ops(const json& prog, bool agreed, std::map<std::string, OpCount>& counts) {
  std::set<std::string> ops_used;
  for (const auto& s : prog["steps"]) ops_used.insert(s["op"].get<std::string>());
  const json& exp = prog["expected"];
  std::string error_op;
  if (exp.contains("error")) {
    const std::string stage = exp["error"]["stage"];
    if (stage.rfind("step ", 0) == 0) error_op = prog["steps"][std::stoul(stage.substr(5))]["op"];
  }
  for (const std::string& op : ops_used) {
    OpCount& c = counts[op];
    ++c.programs;
    c.second += prog["order"] == 2;
    c.errors += op == error_op;
    c.agree += agreed;
  }
}

void print_op_counts(const std::map<std::string, OpCount>& counts) {
  for (const auto& [op, c] : counts) {
    std::cout << "  " << op << ": " << c.programs << " programs (" << c.second << " second-order, "
              << c.errors << " expect its error), " << c.agree << " agree\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: test_differential PROGRAMS.json [--all] [--id N] [--ops]\n";
    return 2;
  }
  bool all = false, per_op = false;
  long only = -1;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--all") all = true;
    if (a == "--ops") per_op = true;
    if (a == "--id" && i + 1 < argc) only = std::stol(argv[++i]);
  }
  std::ifstream in(argv[1]);
  if (!in) {
    if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
      std::cout << kSkipMessage << "\n";
      return 77;
    }
    std::cerr << "test_differential: cannot read " << argv[1] << "\n";
    return 2;
  }
  const json doc = json::parse(in);
  long first = 0, second = 0, agree = 0, disagree = 0;
  std::vector<std::pair<const json*, std::vector<std::string>>> shown;
  std::map<std::string, OpCount> op_counts;
  for (const json& prog : doc["programs"]) {
    if (only >= 0 && prog["id"] != only) continue;
    (prog["order"] == 1 ? first : second)++;
    Runner runner{prog, json::object(), Env()};
    const std::vector<std::string> diffs = compare(prog, prog["expected"], runner.run());
    count_ops(prog, diffs.empty(), op_counts);
    if (diffs.empty()) {
      ++agree;
      continue;
    }
    ++disagree;
    if (all || shown.size() < kShownByDefault) shown.emplace_back(&prog, diffs);
  }
  std::cout << "differential: " << first + second << " programs (" << first << " first-order, "
            << second << " second-order), " << agree << " agree, " << disagree << " disagree\n";
  if (per_op) print_op_counts(op_counts);
  if (!shown.empty()) {
    std::cout << "PyTorch " << doc.value("torch_version", "?") << ", seed " << doc.value("seed", 0)
              << "; " << (all ? "all" : "the first") << " " << shown.size() << " disagreements:\n";
  }
  for (const auto& [prog, diffs] : shown) print_program(*prog, diffs);
  return disagree == 0 && first + second > 0 ? 0 : 1;
}

// Tests of the SVG plotting library (tools/plot/): the builder's escaping and number
// formatting, nice ticks, colours, and each chart written to a file and checked for
// well-formed XML, the expected elements and no "nan"/"inf".
//
// Set XGRAD_PLOT_TEST_DIR to keep the charts (e.g. to render them with rsvg-convert and
// look at them); otherwise they go to a temporary directory that is removed.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "tools/plot/charts.hpp"
#include "tools/plot/svg.hpp"

namespace fs = std::filesystem;
using namespace xg::plot;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The directory charts are written to: XGRAD_PLOT_TEST_DIR, or a fresh temporary one.
struct OutDir {
  fs::path path;
  bool keep = false;
  OutDir() {
    if (const char* d = std::getenv("XGRAD_PLOT_TEST_DIR"); d != nullptr && *d != 0) {
      path = d;
      keep = true;
    } else {
      path = fs::temp_directory_path() / ("xgrad_test_plot_" + std::to_string(::getpid()));
    }
    fs::create_directories(path);
  }
  ~OutDir() {
    std::error_code ec;
    if (!keep) fs::remove_all(path, ec);
  }
  fs::path operator/(const std::string& name) const { return path / name; }
};

OutDir& out_dir() {
  static OutDir dir;
  return dir;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto i = haystack.find(needle); i != std::string::npos; i = haystack.find(needle, i + 1))
    ++n;
  return n;
}

// A small well-formedness check, independent of python: one root element, every tag
// closed in order, attribute values quoted without '<', and '&' only starting one of the
// five predefined entities or a character reference. Returns "" or the first problem.
std::string xml_problem(const std::string& s) {
  std::vector<std::string> stack;
  std::size_t i = 0, roots = 0;
  auto check_amp = [&](std::size_t at) -> bool {
    for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"}) {
      if (s.compare(at, std::char_traits<char>::length(e), e) == 0) return true;
    }
    return false;
  };
  while (i < s.size()) {
    if (s[i] == '&' && !check_amp(i)) return "bare & at " + std::to_string(i);
    if (s[i] == '>') return "stray > at " + std::to_string(i);
    if (s[i] != '<') {
      if (stack.empty() && !std::isspace(static_cast<unsigned char>(s[i]))) {
        return "text outside the root at " + std::to_string(i);
      }
      ++i;
      continue;
    }
    if (s.compare(i, 5, "<?xml") == 0) {
      if (i != 0) return "XML declaration not at the start";
      i = s.find("?>", i);
      if (i == std::string::npos) return "unterminated declaration";
      i += 2;
      continue;
    }
    if (s.compare(i, 4, "<!--") == 0) {
      i = s.find("-->", i);
      if (i == std::string::npos) return "unterminated comment";
      i += 3;
      continue;
    }
    const bool closing = s[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    const std::size_t name_start = j;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '-' ||
                            s[j] == ':' || s[j] == '_')) {
      ++j;
    }
    const std::string name = s.substr(name_start, j - name_start);
    if (name.empty()) return "empty tag name at " + std::to_string(i);
    // Attributes: name="value" pairs until > or />.
    while (j < s.size() && s[j] != '>' && !(s[j] == '/' && s[j + 1] == '>')) {
      if (std::isspace(static_cast<unsigned char>(s[j]))) {
        ++j;
        continue;
      }
      if (closing) return "attributes in closing tag " + name;
      const std::size_t eq = s.find('=', j);
      if (eq == std::string::npos || (s[eq + 1] != '"' && s[eq + 1] != '\'')) {
        return "unquoted attribute in <" + name + "> at " + std::to_string(j);
      }
      const std::size_t end = s.find(s[eq + 1], eq + 2);
      if (end == std::string::npos) return "unterminated attribute in <" + name + ">";
      for (std::size_t k = eq + 2; k < end; ++k) {
        if (s[k] == '<') return "'<' in an attribute of <" + name + ">";
        if (s[k] == '&' && !check_amp(k)) return "bare & in an attribute of <" + name + ">";
      }
      j = end + 1;
    }
    if (j >= s.size()) return "unterminated tag <" + name + ">";
    const bool self_closing = s[j] == '/';
    i = j + (self_closing ? 2 : 1);
    if (closing) {
      if (stack.empty() || stack.back() != name) {
        return "</" + name + "> does not close <" + (stack.empty() ? "" : stack.back()) + ">";
      }
      stack.pop_back();
    } else if (!self_closing) {
      if (stack.empty()) ++roots;
      stack.push_back(name);
    } else if (stack.empty()) {
      ++roots;
    }
  }
  if (!stack.empty()) return "<" + stack.back() + "> never closed";
  if (roots != 1) return std::to_string(roots) + " root elements";
  return "";
}

// Parses the file with python's XML parser when /usr/bin/python3 is there.
void check_with_python(const fs::path& file) {
  static const bool have_python = fs::exists("/usr/bin/python3");
  if (!have_python) {
    MESSAGE("/usr/bin/python3 not found: XML checked by the built-in checker only");
    return;
  }
  const std::string cmd =
      "/usr/bin/python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' '" +
      file.string() + "'";
  CHECK_MESSAGE(std::system(cmd.c_str()) == 0, "python's XML parser rejects " << file);
}

// Reads a written chart and runs the checks every chart must pass.
std::string check_chart_file(const fs::path& file) {
  const std::string svg = read_file(file);
  CHECK_MESSAGE(xml_problem(svg) == "", file);
  check_with_python(file);
  std::string lower = svg;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  CHECK_MESSAGE(lower.find("nan") == std::string::npos, file << " contains \"nan\"");
  CHECK_MESSAGE(lower.find("inf") == std::string::npos, file << " contains \"inf\"");
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
  return svg;
}

// Number of points in the points="..." attribute of the n-th polyline of class series.
std::size_t series_point_count(const std::string& svg, std::size_t n) {
  std::size_t at = 0;
  for (std::size_t k = 0; k <= n; ++k) {
    at = svg.find("<polyline class=\"series\"", k == 0 ? 0 : at + 1);
    REQUIRE(at != std::string::npos);
  }
  const std::size_t begin = svg.find("points=\"", at) + 8;
  const std::size_t end = svg.find('"', begin);
  return static_cast<std::size_t>(std::count(svg.begin() + static_cast<long>(begin),
                                             svg.begin() + static_cast<long>(end), ','));
}

template <class F> std::string thrown_message(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("plot: the XML checker used by these tests rejects broken XML") {
  CHECK(xml_problem("<svg><g></g></svg>") == "");
  CHECK(xml_problem("<svg><g></svg>") != "");
  CHECK(xml_problem("<svg><text>a & b</text></svg>") != "");
  CHECK(xml_problem("<svg><text>a < b</text></svg>") != "");
  CHECK(xml_problem("<svg a=\"<\"/>") != "");
  CHECK(xml_problem("<svg/><svg/>") != "");
}

TEST_CASE("plot: xml_escape escapes markup and repairs text XML cannot hold") {
  CHECK(xml_escape("a<b & c>d") == "a&lt;b &amp; c&gt;d");
  CHECK(xml_escape("say \"hi\" 'x'") == "say &quot;hi&quot; &apos;x&apos;");
  CHECK(xml_escape("caf\xC3\xA9 \xE6\x97\xA5") == "caf\xC3\xA9 \xE6\x97\xA5");  // valid UTF-8 kept
  CHECK(xml_escape("a\x01"
                   "b\tc") == "ab\tc");                         // control char dropped
  CHECK(xml_escape("x\xFFy") == "x\xEF\xBF\xBDy");              // invalid byte -> U+FFFD
  CHECK(xml_escape("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  CHECK(xml_escape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(utf8_length("caf\xC3\xA9") == 4);
  CHECK(ellipsize("abcdef", 4) == "abc\xE2\x80\xA6");
  CHECK(ellipsize("abc", 4) == "abc");
  CHECK(ellipsize("\xC3\xA9\xC3\xA9\xC3\xA9", 2) ==
        "\xC3\xA9\xE2\x80\xA6");  // cut between code points
}

TEST_CASE("plot: format_coord and format_tick never print nan, inf or -0") {
  CHECK(format_coord(1.005) == "1");  // 1.005 is 1.00499999... in binary
  CHECK(format_coord(12.5) == "12.5");
  CHECK(format_coord(-0.001) == "0");
  CHECK(format_coord(kNaN) == "0");
  CHECK(format_coord(kInf) == "0");
  CHECK(format_tick(0.1 + 0.2, 0.1) == "0.3");
  CHECK(format_tick(-1e-17, 0.5) == "0");
  CHECK(format_tick(0.25, 0.05) == "0.25");
  CHECK(format_tick(12, 2) == "12");
  CHECK(format_tick(2e6, 1e6) == "2e6");
  CHECK(format_tick(2.5e6, 5e5) == "2.5e6");
  CHECK(format_tick(3e-5, 1e-5) == "3e-5");
  CHECK(format_tick(1e-4, 5e-5) == "1e-4");  // one style on an axis: not "0.0001"
  CHECK(format_tick(-1.5e-4, 5e-5) == "-1.5e-4");
  CHECK(format_tick(1.25e7, 5e5) == "1.25e7");
  CHECK(format_tick(0, 1e-5) == "0");
  CHECK(format_tick(kNaN, 1) == "");
}

TEST_CASE("plot: nice_ticks uses 1-2-5 steps and encloses the range") {
  auto is_125 = [](double step) {
    const double m = step / std::pow(10.0, std::floor(std::log10(step)));
    return std::abs(m - 1) < 1e-9 || std::abs(m - 2) < 1e-9 || std::abs(m - 5) < 1e-9;
  };
  struct Case {
    double lo, hi, step, tlo, thi;
  };
  // Worked by hand: span / 6 rounded up to 1, 2 or 5 times a power of ten.
  for (const Case c :
       {Case{0, 1, 0.2, 0, 1}, Case{0.23, 2.3, 0.5, 0, 2.5}, Case{-3.7, 12.1, 5, -5, 15},
        Case{1, 10, 2, 0, 10}, Case{0.0012, 0.0049, 0.001, 0.001, 0.005}, Case{3, -2, 1, -2, 3}}) {
    CAPTURE(c.lo);
    CAPTURE(c.hi);
    const Ticks t = nice_ticks(c.lo, c.hi, 6);
    CHECK(t.step == doctest::Approx(c.step));
    CHECK(t.lo == doctest::Approx(c.tlo));
    CHECK(t.hi == doctest::Approx(c.thi));
    CHECK(is_125(t.step));
    REQUIRE(t.values.size() >= 2);
    CHECK(t.values.front() == doctest::Approx(t.lo));
    CHECK(t.values.back() == doctest::Approx(t.hi));
    for (std::size_t i = 1; i < t.values.size(); ++i) {
      CHECK(t.values[i] - t.values[i - 1] == doctest::Approx(t.step));
    }
  }
  // Degenerate ranges still give an increasing axis around the data.
  for (double v : {5.0, 0.0, -2.5, 1e-12, 1e9}) {
    const Ticks t = nice_ticks(v, v);
    CHECK(t.lo < v);
    CHECK(t.hi > v);
    CHECK(t.values.size() >= 2);
  }
  const Ticks bad = nice_ticks(kNaN, kInf);
  CHECK(bad.lo == 0);
  CHECK(bad.hi == 1);
  const Ticks huge = nice_ticks(-1e308, 1e308);
  CHECK(std::isfinite(huge.step));
  CHECK(huge.values.size() <= 201);

  const Ticks w = ticks_within(-0.3, 1.7, 5);  // fixed range, ticks inside only
  CHECK(w.lo == -0.3);
  CHECK(w.hi == 1.7);
  CHECK(w.step == doctest::Approx(0.5));
  CHECK(w.values == std::vector<double>{0, 0.5, 1, 1.5});
}

TEST_CASE("plot: colours: palette, viridis samples and text contrast") {
  for (std::size_t i = 0; i < palette_size(); ++i) {
    for (std::size_t j = i + 1; j < palette_size(); ++j) CHECK(palette(i) != palette(j));
  }
  CHECK(palette(0).hex() == "#0072b2");  // Okabe-Ito blue
  CHECK(palette(palette_size()) == palette(0));
  CHECK(dash_for(0).empty());
  CHECK(!dash_for(palette_size()).empty());
  // matplotlib: cm.get_cmap("viridis")(t) for t = 0, 0.5, 1 -> #440154, #21918c, #fde725.
  CHECK(viridis(0).hex() == "#440154");
  CHECK(viridis(0.5).hex() == "#21918c");
  CHECK(viridis(1).hex() == "#fde725");
  CHECK(viridis(-3) == viridis(0));
  CHECK(viridis(kNaN) == viridis(0));
  CHECK(contrast_text(viridis(0)) == kWhite);
  CHECK(contrast_text(viridis(1)) == kBlack);
  CHECK(contrast_text(kWhite) == kBlack);
  CHECK(tint(palette(0), 0) == kWhite);
  CHECK(tint(palette(0), 1) == palette(0));
}

TEST_CASE("plot: SvgDocument drops non-finite elements and reports unwritable paths") {
  SvgDocument doc(100, 50, "t<&>");
  doc.line(0, 0, kNaN, 1, Stroke{});
  doc.circle(1, 1, kInf, kBlack);
  doc.rect(0, 0, -1, 5, kBlack);
  doc.text(kNaN, 0, "x", {});
  const std::vector<Point> pts{{0, 0}, {kNaN, 1}, {2, kInf}, {3, 3}};
  doc.polyline(pts, Stroke{});
  const std::vector<Point> none{{kNaN, kNaN}};
  doc.polyline(none, Stroke{});
  const std::string s = doc.str();
  CHECK(xml_problem(s) == "");
  CHECK(count(s, "<line") == 0);
  CHECK(count(s, "<circle") == 0);
  CHECK(count(s, "<text") == 0);
  CHECK(count(s, "<polyline") == 1);
  CHECK(s.find("points=\"0,0 3,3\"") != std::string::npos);
  CHECK(s.find("<title>t&lt;&amp;&gt;</title>") != std::string::npos);

  SvgDocument open(10, 10);
  open.begin_group();
  CHECK_THROWS_AS((void)open.str(), std::logic_error);

  const fs::path bad = out_dir() / "no_such_dir" / "chart.svg";
  const std::string msg = thrown_message([&] { doc.save(bad); });
  CHECK(msg.find(bad.string()) != std::string::npos);
  CHECK(msg.find("No such file or directory") != std::string::npos);
  CHECK_THROWS_AS(doc.save(bad), std::runtime_error);
}

TEST_CASE("plot: line_chart draws one polyline and one legend entry per series") {
  const fs::path file = out_dir() / "line_loss.svg";
  const std::vector<Series> series{
      {.name = "train loss", .xs = {1, 2, 3, 4, 5}, .ys = {2.3, 1.1, 0.7, 0.52, 0.41}, .color = 0},
      {.name = "validation loss",
       .xs = {1, 2, 3, 4, 5},
       .ys = {2.2, 1.2, 0.8, 0.66, 0.63},
       .color = 0,
       .dashed = true},
  };
  line_chart(file, "Loss <per epoch> & more", "epoch", "loss", series);
  const std::string svg = check_chart_file(file);
  CHECK(svg.find("Loss &lt;per epoch&gt; &amp; more") != std::string::npos);
  CHECK(svg.find("Loss <per") == std::string::npos);
  CHECK(count(svg, "<polyline class=\"series\"") == 2);
  CHECK(count(svg, "class=\"legend-entry\"") == 2);
  CHECK(svg.find(">train loss</text>") != std::string::npos);
  CHECK(svg.find(">validation loss</text>") != std::string::npos);
  CHECK(svg.find(">epoch</text>") != std::string::npos);
  CHECK(series_point_count(svg, 0) == 5);
  CHECK(svg.find("stroke-dasharray=\"7 4\"") != std::string::npos);  // the dashed one
  CHECK(count(svg, "class=\"point\"") == 10);                        // few points: markers
}

TEST_CASE("plot: line_chart edge cases: NaN/inf, one point, constant, empty, bad sizes") {
  const std::vector<Series> series{
      {.name = "with gaps", .xs = {1, 2, 3, 4, 5, 6}, .ys = {0.5, kNaN, kInf, 0.7, -kInf, 0.9}},
      {.name = "one point", .xs = {3}, .ys = {0.6}},
      {.name = "constant", .xs = {1, 6}, .ys = {0.8, 0.8}},
      {.name = "empty", .xs = {}, .ys = {}},
      {.name = "all missing", .xs = {kNaN, 1}, .ys = {1, kNaN}},
  };
  const fs::path file = out_dir() / "line_edge.svg";
  line_chart(file, "Edge cases", "epoch", "accuracy", series, {.y_min = 0, .y_max = 1});
  const std::string svg = check_chart_file(file);
  CHECK(count(svg, "<polyline class=\"series\"") == 3);  // empty and all-NaN: none
  CHECK(series_point_count(svg, 0) == 3);                // 0.5, 0.7, 0.9
  CHECK(series_point_count(svg, 1) == 1);
  CHECK(count(svg, "class=\"legend-entry\"") == 5);
  CHECK(svg.find(">empty (no data)</text>") != std::string::npos);

  // A constant series alone: a degenerate y range widened around the value.
  const std::string flat =
      render_line_chart("flat", "x", "y", {{.name = "c", .xs = {0, 1, 2}, .ys = {3, 3, 3}}});
  CHECK(xml_problem(flat) == "");
  CHECK(flat.find(">3.0</text>") != std::string::npos);  // a tick at the value

  // A single point alone, and no data at all.
  const fs::path single = out_dir() / "line_single.svg";
  line_chart(single, "single", "x", "y", {{.name = "p", .xs = {7}, .ys = {0.25}}});
  CHECK(count(check_chart_file(single), "class=\"point\"") == 1);
  const fs::path empty = out_dir() / "line_empty.svg";
  line_chart(empty, "nothing", "x", "y", {});
  CHECK(check_chart_file(empty).find(">No data</text>") != std::string::npos);

  const std::string msg = thrown_message([] {
    (void)render_line_chart("t", "x", "y", {{.name = "s", .xs = {1, 2, 3}, .ys = {1, 2}}});
  });
  CHECK(msg.find("line_chart") == 0);
  CHECK(msg.find("'s'") != std::string::npos);
  CHECK(msg.find("(3 and 2)") != std::string::npos);
  CHECK_THROWS_AS(line_chart(out_dir() / "missing" / "x.svg", "t", "x", "y", {}),
                  std::runtime_error);
}

TEST_CASE("plot: roc_chart shows the curves, the chance line and the AUCs") {
  const fs::path file = out_dir() / "roc.svg";
  const std::vector<RocCurve> curves{
      {.name = "class A",
       .fpr = {0, 0, 0.1, 0.3, 1},
       .tpr = {0, 0.6, 0.85, 0.95, 1},
       .auc = 0.9375},
      {.name = "class B", .fpr = {0, 0.2, 0.5, 1}, .tpr = {0, 0.4, 0.8, 1}, .auc = 0.62},
      {.name = "broken", .fpr = {0, kNaN, 1}, .tpr = {0, 0.5, 1}, .auc = kNaN},
  };
  roc_chart(file, curves);
  const std::string svg = check_chart_file(file);
  CHECK(count(svg, "<polyline class=\"series\"") == 3);
  CHECK(series_point_count(svg, 2) == 2);
  CHECK(count(svg, "class=\"chance\"") == 1);
  CHECK(count(svg, "class=\"legend-entry\"") == 4);  // three curves and chance
  CHECK(svg.find("class A (AUC = 0.938)") != std::string::npos);
  CHECK(svg.find("class B (AUC = 0.620)") != std::string::npos);
  CHECK(svg.find("broken (AUC n/a)") != std::string::npos);
  CHECK(svg.find("Chance (AUC = 0.5)") != std::string::npos);
  CHECK(svg.find(">False positive rate</text>") != std::string::npos);

  const fs::path none = out_dir() / "roc_empty.svg";
  roc_chart(none, {});
  CHECK(check_chart_file(none).find(">No data</text>") != std::string::npos);
  const std::string msg = thrown_message([] {
    (void)render_roc_chart({{.name = "c", .fpr = {0, 1}, .tpr = {0}, .auc = 0.5}});
  });
  CHECK(msg.find("roc_chart") == 0);
  CHECK(msg.find("(2 and 1)") != std::string::npos);
}

TEST_CASE("plot: confusion_matrix_chart draws C*C cells with readable numbers") {
  const std::vector<std::vector<std::int64_t>> counts{{50, 2, 0}, {3, 40, 7}, {0, 9, 41}};
  const fs::path file = out_dir() / "confusion.svg";
  confusion_matrix_chart(file, counts, {"cat", "dog", "bird & <fish>"});
  const std::string svg = check_chart_file(file);
  CHECK(count(svg, "<rect class=\"cell\"") == 9);
  CHECK(count(svg, "class=\"cell-value\"") == 9);
  CHECK(svg.find(">Predicted</text>") != std::string::npos);
  CHECK(svg.find(">True</text>") != std::string::npos);
  CHECK(svg.find("bird &amp; &lt;fish&gt;") != std::string::npos);
  // The largest count sits on viridis' yellow: black text; a zero on its purple: white.
  CHECK(svg.find("fill=\"#000000\">50</text>") != std::string::npos);
  CHECK(svg.find("fill=\"#ffffff\">0</text>") != std::string::npos);

  // Row-normalised, with a class that has no samples.
  const fs::path norm = out_dir() / "confusion_normalized.svg";
  confusion_matrix_chart(norm, {{3, 1}, {0, 0}}, {}, true);
  const std::string n = check_chart_file(norm);
  CHECK(count(n, "<rect class=\"cell\"") == 4);
  CHECK(n.find(">0.75</text>") != std::string::npos);
  CHECK(n.find(">0.25</text>") != std::string::npos);
  CHECK(count(n, ">n/a</text>") == 2);

  // Ten classes with long names: ellipsized, the full name in a tooltip.
  std::vector<std::string> names;
  std::vector<std::vector<std::int64_t>> big(10, std::vector<std::int64_t>(10, 1));
  for (int i = 0; i < 10; ++i) {
    names.push_back("a very long class name number " + std::to_string(i));
    big[i][i] = 900 + i;
  }
  const fs::path ten = out_dir() / "confusion_10.svg";
  confusion_matrix_chart(ten, big, names, false, "Fashion-MNIST test set");
  const std::string t = check_chart_file(ten);
  CHECK(count(t, "<rect class=\"cell\"") == 100);
  CHECK(t.find("<title>a very long class name number 3</title>") != std::string::npos);
  CHECK(t.find(">a very long class\xE2\x80\xA6<title>") != std::string::npos);

  const fs::path zero = out_dir() / "confusion_empty.svg";
  confusion_matrix_chart(zero, {}, {});
  CHECK(check_chart_file(zero).find(">No data</text>") != std::string::npos);

  std::string msg = thrown_message([] { (void)render_confusion_matrix_chart({{1, 2}, {3}}, {}); });
  CHECK(msg.find("confusion_matrix_chart") == 0);
  CHECK(msg.find("row 1 has 1 columns") != std::string::npos);
  msg = thrown_message([] { (void)render_confusion_matrix_chart({{1, 2}, {3, 4}}, {"a"}); });
  CHECK(msg.find("1 class names for a 2 x 2 matrix") != std::string::npos);
  CHECK_THROWS_AS((void)render_confusion_matrix_chart({{1, -2}, {3, 4}}, {}),
                  std::invalid_argument);
}

TEST_CASE("plot: decision_regions_chart tints regions and draws the points") {
  // Two classes split by the line y = x, on [-2, 2]^2: each grid row has two runs.
  const std::vector<double> xs{-1.5, -1, 0.5, 1.2, 1.5, 0.2, kNaN, 9};
  const std::vector<double> ys{1, 0.5, 1.5, -1, 0.3, -1.4, 0, 0};
  const std::vector<int> labels{1, 1, 1, 0, 0, 0, 0, 1};
  ClassGrid grid{.xmin = -2, .xmax = 2, .ymin = -2, .ymax = 2, .resolution = 40, .classes = {}};
  auto classify = [](double x, double y) { return y > x ? 1 : 0; };
  fill_class_grid(grid, classify);
  CHECK(grid.classes.size() == 1600);
  CHECK(grid.classes[0 * 40 + 39] == 0);  // bottom right
  CHECK(grid.classes[39 * 40 + 0] == 1);  // top left

  ClassGrid batched = grid;
  fill_class_grid_batched(batched,
                          [&](const std::vector<double>& gx, const std::vector<double>& gy) {
                            std::vector<int> out;
                            for (std::size_t i = 0; i < gx.size(); ++i)
                              out.push_back(classify(gx[i], gy[i]));
                            return out;
                          });
  CHECK(batched.classes == grid.classes);

  const fs::path file = out_dir() / "regions.svg";
  decision_regions_chart(file, grid, xs, ys, labels, 2, "Regions <linear>", {"below", "above"});
  const std::string svg = check_chart_file(file);
  // Row r has class 1 left of column r and class 0 from it on (a centre on the diagonal
  // has y == x: class 0): one run in row 0, two in each of the other 39.
  CHECK(count(svg, "<rect class=\"region\"") == 79);
  CHECK(count(svg, "class=\"point\"") == 6);  // the NaN point and the one at x = 9 skipped
  CHECK(count(svg, "class=\"legend-entry\"") == 2);
  CHECK(svg.find("Regions &lt;linear&gt;") != std::string::npos);
  CHECK(svg.find(">above</text>") != std::string::npos);

  // From a classifier directly, with bounds from the data.
  ClassGrid from_data = grid_bounds({0, 1, 2}, {0, 1, 4});
  CHECK(from_data.xmin == doctest::Approx(-0.2));
  CHECK(from_data.xmax == doctest::Approx(2.2));
  CHECK(from_data.ymax == doctest::Approx(4.4));
  from_data.resolution = 30;
  const fs::path direct = out_dir() / "regions_direct.svg";
  decision_regions_chart(direct, from_data, classify, {0, 1, 2}, {0, 1, 4}, {0, 1, 1}, 2);
  CHECK(count(check_chart_file(direct), "class=\"point\"") == 3);
  const ClassGrid one = grid_bounds({3}, {3});
  CHECK(one.xmin < 3);
  CHECK(one.xmax > 3);

  std::string msg =
      thrown_message([&] { (void)render_decision_regions_chart(grid, xs, ys, labels, 1); });
  CHECK(msg.find("decision_regions_chart") == 0);
  msg = thrown_message([&] { (void)render_decision_regions_chart(grid, {0}, {0}, {5}, 3); });
  CHECK(msg.find("label 5 of point 0 is outside [0, 3)") != std::string::npos);
  msg = thrown_message([&] { (void)render_decision_regions_chart(grid, {0, 1}, {0}, {0}, 3); });
  CHECK(msg.find("(2, 1 and 1)") != std::string::npos);
  ClassGrid short_grid = grid;
  short_grid.classes.pop_back();
  CHECK_THROWS_AS((void)render_decision_regions_chart(short_grid, {}, {}, {}, 2),
                  std::invalid_argument);
  ClassGrid flat = grid;
  flat.ymax = flat.ymin;
  CHECK_THROWS_AS(fill_class_grid(flat, classify), std::invalid_argument);
}

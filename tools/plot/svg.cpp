// The SVG document builder, colours and text helpers (see svg.hpp). Axes, ticks and
// legends are in axes.cpp.
#include "tools/plot/svg.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <stdexcept>

#include "xgrad/autograd/atomic_file.hpp"

namespace xg::plot {

namespace {

bool all_finite(std::initializer_list<double> values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

// Decodes one UTF-8 sequence at text[i]. Returns the code point and sets `len`, or
// returns -1 (len = 1) for an invalid byte, an overlong form, a surrogate or a value past
// U+10FFFF -- everything a strict XML parser would reject.
long decode_utf8(std::string_view text, std::size_t i, std::size_t& len) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  len = 1;
  if (b0 < 0x80) return b0;
  std::size_t n;
  long cp;
  long min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (i + n > text.size()) return -1;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  len = n;
  return cp;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

std::string_view anchor_name(Anchor a) {
  switch (a) {
    case Anchor::start: return "start";
    case Anchor::middle: return "middle";
    case Anchor::end: return "end";
  }
  return "start";
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Colours

std::string Color::hex() const {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
  return buf;
}

double Color::luminance() const {
  auto lin = [](std::uint8_t c) {
    const double s = c / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

Color Color::mix(Color other, double t) const {
  t = std::isnan(t) ? 0.0 : std::clamp(t, 0.0, 1.0);
  auto blend = [t](std::uint8_t a, std::uint8_t b) {
    return static_cast<std::uint8_t>(std::lround(a + (b - a) * t));
  };
  return {blend(r, other.r), blend(g, other.g), blend(b, other.b)};
}

namespace {
// Okabe & Ito (2008), "Color Universal Design"; yellow last (faint on white). The last
// two are not part of the set: brown and grey, for charts with 9-10 series.
constexpr std::array<Color, 10> kPalette{{
    {0, 114, 178},    // blue
    {230, 159, 0},    // orange
    {0, 158, 115},    // bluish green
    {213, 94, 0},     // vermillion
    {204, 121, 167},  // reddish purple
    {86, 180, 233},   // sky blue
    {0, 0, 0},        // black
    {240, 228, 66},   // yellow
    {140, 86, 75},    // brown
    {127, 127, 127},  // grey
}};

// matplotlib's viridis at t = i / 32, i = 0..32 (cm.get_cmap("viridis")(i / 32) * 255).
constexpr std::array<Color, 33> kViridis{{
    {68, 1, 84},    {71, 13, 96},   {72, 24, 106},  {72, 35, 116},  {71, 45, 123},  {69, 55, 129},
    {66, 64, 134},  {62, 73, 137},  {59, 82, 139},  {55, 91, 141},  {51, 99, 141},  {47, 107, 142},
    {44, 114, 142}, {41, 122, 142}, {38, 130, 142}, {35, 137, 142}, {33, 145, 140}, {31, 152, 139},
    {31, 160, 136}, {34, 167, 133}, {40, 174, 128}, {50, 182, 122}, {63, 188, 115}, {78, 195, 107},
    {94, 201, 98},  {112, 207, 87}, {132, 212, 75}, {152, 216, 62}, {173, 220, 48}, {194, 223, 35},
    {216, 226, 25}, {236, 229, 27}, {253, 231, 37},
}};
}  // namespace

std::size_t palette_size() { return kPalette.size(); }

Color palette(std::size_t index) { return kPalette[index % kPalette.size()]; }

std::string dash_for(std::size_t index) {
  static constexpr std::array<std::string_view, 4> kDashes{"", "6 3", "2 3", "8 3 2 3"};
  return std::string(kDashes[(index / kPalette.size()) % kDashes.size()]);
}

Color viridis(double t) {
  if (std::isnan(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0) * (kViridis.size() - 1);
  const auto i = std::min(static_cast<std::size_t>(t), kViridis.size() - 2);
  return kViridis[i].mix(kViridis[i + 1], t - static_cast<double>(i));
}

Color tint(Color c, double amount) { return kWhite.mix(c, amount); }

Color contrast_text(Color background) {
  // WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05) against white and against black.
  const double l = background.luminance();
  const double against_white = 1.05 / (l + 0.05);
  const double against_black = (l + 0.05) / 0.05;
  return against_black >= against_white ? kBlack : kWhite;
}

// ---------------------------------------------------------------------------------------
// Text helpers

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t len;
    const long cp = decode_utf8(text, i, len);
    if (cp < 0 || cp == 0xFFFE || cp == 0xFFFF) {
      out += kReplacement;
    } else if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') {
      // dropped: XML 1.0 has no way to write these, not even as character references
    } else {
      switch (cp) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out.append(text.substr(i, len));
      }
    }
    i += len;
  }
  return out;
}

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0, len; i < text.size(); i += len, ++n) decode_utf8(text, i, len);
  return n;
}

std::string ellipsize(std::string_view text, std::size_t max_chars) {
  if (utf8_length(text) <= max_chars) return std::string(text);
  const std::size_t keep = max_chars > 0 ? max_chars - 1 : 0;
  std::size_t i = 0, len;
  for (std::size_t n = 0; n < keep && i < text.size(); ++n) {
    decode_utf8(text, i, len);
    i += len;
  }
  return std::string(text.substr(0, i)) + "\xE2\x80\xA6";  // U+2026 horizontal ellipsis
}

double text_width(std::string_view text, double font_size) {
  // Rough advance widths of a Helvetica/DejaVu-like font, in em.
  double em = 0;
  for (std::size_t i = 0, len; i < text.size(); i += len) {
    const long cp = decode_utf8(text, i, len);
    if (cp == ' ' || cp == '.' || cp == ',' || cp == ':' || cp == ';' || cp == '!' || cp == '|' ||
        cp == 'i' || cp == 'j' || cp == 'l' || cp == '\'' || cp == 'I') {
      em += 0.3;
    } else if (cp == 'f' || cp == 't' || cp == 'r' || cp == '(' || cp == ')' || cp == '-' ||
               cp == '[' || cp == ']') {
      em += 0.4;
    } else if (cp == 'm' || cp == 'w' || cp == 'M' || cp == 'W' || cp == '%' || cp == '@') {
      em += 0.9;
    } else if (cp >= 'A' && cp <= 'Z') {
      em += 0.7;
    } else if (cp >= 0x2E80) {
      em += 1.0;  // CJK and other wide scripts
    } else {
      em += 0.6;
    }
  }
  return em * font_size;
}

std::string format_coord(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

Marker marker_for(std::size_t index) {
  static constexpr std::array<Marker, 4> kMarkers{Marker::circle, Marker::square, Marker::triangle,
                                                  Marker::diamond};
  return kMarkers[index % kMarkers.size()];
}

// ---------------------------------------------------------------------------------------
// The document

namespace {
std::string stroke_attrs(const Stroke& s) {
  std::string a =
      " stroke=\"" + s.color.hex() + "\" stroke-width=\"" + format_coord(s.width) + "\"";
  if (!s.dash.empty()) a += " stroke-dasharray=\"" + xml_escape(s.dash) + "\"";
  if (s.opacity < 1) a += " stroke-opacity=\"" + format_coord(std::max(0.0, s.opacity)) + "\"";
  return a;
}

std::string paint_attrs(std::optional<Color> fill, const std::optional<Stroke>& stroke) {
  std::string a = fill ? " fill=\"" + fill->hex() + "\"" : std::string(" fill=\"none\"");
  if (stroke) a += stroke_attrs(*stroke);
  return a;
}

std::string attr(std::string_view name, double v) {
  std::string a(1, ' ');
  a += name;
  a += "=\"";
  a += format_coord(v);
  a += '"';
  return a;
}
}  // namespace

SvgDocument::SvgDocument(double width, double height, std::string_view title)
    : width_(std::isfinite(width) && width > 0 ? width : 100),
      height_(std::isfinite(height) && height > 0 ? height : 100),
      title_(title) {}

void SvgDocument::open_tag(std::string_view name, std::string_view css_class) {
  body_ += '<';
  body_ += name;
  if (!css_class.empty()) body_ += " class=\"" + xml_escape(css_class) + "\"";
}

void SvgDocument::close_with_tooltip(std::string_view name, std::string_view tooltip) {
  if (tooltip.empty()) {
    body_ += "/>\n";
  } else {
    body_ += "><title>" + xml_escape(tooltip) + "</title></" + std::string(name) + ">\n";
  }
}

void SvgDocument::line(double x1, double y1, double x2, double y2, const Stroke& stroke,
                       std::string_view css_class) {
  if (!all_finite({x1, y1, x2, y2})) return;
  open_tag("line", css_class);
  body_ += attr("x1", x1) + attr("y1", y1) + attr("x2", x2) + attr("y2", y2) +
           stroke_attrs(stroke) + "/>\n";
}

void SvgDocument::polyline(std::span<const Point> points, const Stroke& stroke,
                           std::string_view css_class, std::string_view tooltip) {
  std::string pts;
  for (const Point& p : points) {
    if (!all_finite({p.x, p.y})) continue;
    if (!pts.empty()) pts += ' ';
    pts += format_coord(p.x) + "," + format_coord(p.y);
  }
  if (pts.empty()) return;
  open_tag("polyline", css_class);
  body_ += " points=\"" + pts + "\" fill=\"none\"" + stroke_attrs(stroke) +
           " stroke-linejoin=\"round\" stroke-linecap=\"round\"";
  close_with_tooltip("polyline", tooltip);
}

void SvgDocument::rect(double x, double y, double w, double h, std::optional<Color> fill,
                       std::optional<Stroke> stroke, std::string_view css_class,
                       std::string_view tooltip) {
  if (!all_finite({x, y, w, h}) || w < 0 || h < 0) return;
  open_tag("rect", css_class);
  body_ += attr("x", x) + attr("y", y) + attr("width", w) + attr("height", h) +
           paint_attrs(fill, stroke);
  close_with_tooltip("rect", tooltip);
}

void SvgDocument::circle(double cx, double cy, double r, std::optional<Color> fill,
                         std::optional<Stroke> stroke, std::string_view css_class) {
  if (!all_finite({cx, cy, r}) || r < 0) return;
  open_tag("circle", css_class);
  body_ += attr("cx", cx) + attr("cy", cy) + attr("r", r) + paint_attrs(fill, stroke) + "/>\n";
}

void SvgDocument::marker(Marker shape, double cx, double cy, double r, Color fill,
                         std::optional<Stroke> stroke, std::string_view css_class) {
  if (!all_finite({cx, cy, r}) || r < 0) return;
  // Sizes give each shape the area of the circle, so no class looks more important.
  constexpr double kPi = 3.14159265358979323846;
  auto polygon = [&](std::initializer_list<Point> pts) {
    open_tag("polygon", css_class);
    std::string s;
    for (const Point& p : pts) {
      if (!s.empty()) s += ' ';
      s += format_coord(p.x);
      s += ',';
      s += format_coord(p.y);
    }
    body_ += " points=\"" + s + "\"" + paint_attrs(fill, stroke) + "/>\n";
  };
  switch (shape) {
    case Marker::circle: circle(cx, cy, r, fill, stroke, css_class); break;
    case Marker::square: {
      const double s = r * std::sqrt(kPi);
      rect(cx - s / 2, cy - s / 2, s, s, fill, stroke, css_class);
      break;
    }
    case Marker::triangle: {
      const double a = r * std::sqrt(4 * kPi / std::sqrt(3.0));  // side
      const double h = a * std::sqrt(3.0) / 2;
      polygon({{cx, cy - 2 * h / 3}, {cx + a / 2, cy + h / 3}, {cx - a / 2, cy + h / 3}});
      break;
    }
    case Marker::diamond: {
      const double d = r * std::sqrt(kPi / 2);  // half diagonal
      polygon({{cx, cy - d}, {cx + d, cy}, {cx, cy + d}, {cx - d, cy}});
      break;
    }
  }
}

void SvgDocument::text(double x, double y, std::string_view text, const TextStyle& style,
                       std::string_view css_class, std::string_view tooltip) {
  if (!all_finite({x, y, style.size, style.rotate})) return;
  open_tag("text", css_class);
  body_ += attr("x", x) + attr("y", y) + attr("font-size", style.size);
  if (style.anchor != Anchor::start) {
    body_ += " text-anchor=\"" + std::string(anchor_name(style.anchor)) + "\"";
  }
  // dy rather than dominant-baseline: every renderer (rsvg, browsers, editors) honours it.
  if (style.valign == VAlign::middle) body_ += " dy=\"0.35em\"";
  if (style.valign == VAlign::top) body_ += " dy=\"0.8em\"";
  if (style.bold) body_ += " font-weight=\"bold\"";
  body_ += " fill=\"" + style.color.hex() + "\"";
  if (style.rotate != 0) {
    body_ += " transform=\"rotate(" + format_coord(style.rotate) + " " + format_coord(x) + " " +
             format_coord(y) + ")\"";
  }
  body_ += ">" + xml_escape(text);
  if (!tooltip.empty()) body_ += "<title>" + xml_escape(tooltip) + "</title>";
  body_ += "</text>\n";
}

void SvgDocument::begin_group(std::string_view css_class, bool crisp_edges) {
  open_tag("g", css_class);
  if (crisp_edges) body_ += " shape-rendering=\"crispEdges\"";
  body_ += ">\n";
  ++open_groups_;
}

void SvgDocument::end_group() {
  if (open_groups_ == 0) throw std::logic_error("SvgDocument::end_group: no open group");
  body_ += "</g>\n";
  --open_groups_;
}

void SvgDocument::begin_clip(double x, double y, double w, double h, std::string_view css_class) {
  const std::string id = "clip" + std::to_string(++clip_count_);
  body_ += "<clipPath id=\"" + id + "\"><rect" + attr("x", x) + attr("y", y) +
           attr("width", all_finite({w}) ? std::max(w, 0.0) : 0.0) +
           attr("height", all_finite({h}) ? std::max(h, 0.0) : 0.0) + "/></clipPath>\n";
  open_tag("g", css_class);
  body_ += " clip-path=\"url(#" + id + ")\">\n";
  ++open_groups_;
}

std::string SvgDocument::str() const {
  if (open_groups_ != 0) {
    throw std::logic_error("SvgDocument::str: " + std::to_string(open_groups_) +
                           " group(s) still open");
  }
  const std::string w = format_coord(width_), h = format_coord(height_);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + w + "\" height=\"" +
         h + "\" viewBox=\"0 0 " + w + " " + h +
         "\" font-family=\"Helvetica, Arial, &apos;DejaVu Sans&apos;, sans-serif\">\n";
  if (!title_.empty()) out += "<title>" + xml_escape(title_) + "</title>\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  out += body_;
  out += "</svg>\n";
  return out;
}

void SvgDocument::save(const std::filesystem::path& path) const { write_file(path, str()); }

void write_file(const std::filesystem::path& path, std::string_view content) {
  write_file_atomic("plot", path, content);
}

}  // namespace xg::plot

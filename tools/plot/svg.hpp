// A small SVG document builder for the `xgrad` tool's charts: shapes, text, axes with
// "nice" ticks, legends, a colour-blind-safe palette and the viridis colour scale.
//
// No dependencies beyond the standard library and the xgrad library's atomic file writer
// (xgrad/autograd/atomic_file.hpp): the charts a person opens in a browser are plain SVG
// 1.1 text.
//
// Contract of SvgDocument:
// - Coordinates are SVG user units (pixels), origin top-left, y down.
// - An element with a non-finite coordinate or size is silently dropped (and a polyline
//   drops its non-finite points), so "nan" or "inf" never reaches the file.
// - All text (labels, titles, tooltips) is XML-escaped; invalid UTF-8 becomes U+FFFD and
//   control characters that XML 1.0 forbids are dropped, so any string gives well-formed
//   XML.
// - save() writes atomically (a failed save keeps the previous chart) and throws a
//   std::runtime_error naming the path (and the errno text) when the file cannot be
//   written, or when the path names something other than a regular file (a symbolic
//   link, a FIFO, a device, a directory), which is left alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xg::plot {

// ---------------------------------------------------------------------------------------
// Colours

struct Color {
  std::uint8_t r = 0, g = 0, b = 0;

  // "#rrggbb".
  std::string hex() const;
  // WCAG relative luminance in [0, 1] (sRGB linearised).
  double luminance() const;
  // Linear blend: t = 0 gives *this, t = 1 gives `other` (t is clamped to [0, 1]).
  Color mix(Color other, double t) const;
  friend bool operator==(const Color&, const Color&) = default;
};

inline constexpr Color kBlack{0, 0, 0};
inline constexpr Color kWhite{255, 255, 255};
inline constexpr Color kTextColor{34, 34, 34};
inline constexpr Color kGridColor{225, 225, 225};
inline constexpr Color kAxisColor{80, 80, 80};

// The categorical palette: the 8 Okabe-Ito colours (colour-blind safe; yellow moved last
// because it is faint on white), then two extra colours. Indices wrap around; charts that
// can have more series than colours also vary the dash pattern (see dash_for()).
std::size_t palette_size();
Color palette(std::size_t index);

// Dash pattern for the index-th series: "" (solid) for the first palette_size() series,
// then other patterns, so series that share a colour stay distinguishable.
std::string dash_for(std::size_t index);

// Viridis, sampled from matplotlib's table at 33 points and linearly interpolated.
// t is clamped to [0, 1]; a NaN t gives viridis(0).
Color viridis(double t);

// `c` blended towards white: amount = 0 gives white, 1 gives c (light region fills).
Color tint(Color c, double amount);

// Black or white, whichever has the higher WCAG contrast ratio against `background`.
Color contrast_text(Color background);

// ---------------------------------------------------------------------------------------
// Text helpers

// Escapes & < > " ' for use in XML text and attribute values, replaces invalid UTF-8 by
// U+FFFD and drops the control characters XML 1.0 forbids (all below 0x20 except tab,
// newline and carriage return).
std::string xml_escape(std::string_view text);

// Number of Unicode code points in UTF-8 text (invalid bytes count as one each).
std::size_t utf8_length(std::string_view text);

// At most max_chars code points: longer text is cut and ends in "..." (U+2026).
std::string ellipsize(std::string_view text, std::size_t max_chars);

// Estimated rendered width of `text` in a sans-serif font of `font_size` px. Slightly
// generous on purpose: it sizes margins and legends, where too wide is harmless.
double text_width(std::string_view text, double font_size);

// A coordinate for an attribute: at most 2 decimals, no trailing zeros, never "-0".
// A non-finite value gives "0" (the builder never passes one; this is a last guard).
std::string format_coord(double v);

// ---------------------------------------------------------------------------------------
// Scales and ticks

// Tick positions in 1-2-5 steps (..., 0.1, 0.2, 0.5, 1, 2, 5, 10, ...).
struct Ticks {
  double lo = 0, hi = 1;  // the range the ticks cover (nice_ticks: extended to ticks)
  double step = 0.2;
  std::vector<double> values = {};
};

// The 1-2-5 step that splits `span` into about `target` intervals (span > 0).
double nice_step(double span, int target);

// Ticks whose first and last values enclose [lo, hi], about `target` intervals.
// Degenerate input is handled: lo > hi is swapped; lo == hi is widened around the value;
// non-finite bounds give [0, 1]; magnitudes beyond 1e300 are clamped.
Ticks nice_ticks(double lo, double hi, int target = 6);

// Like nice_ticks, but keeps [lo, hi] as the range and returns only ticks inside it
// (for axes whose range is fixed, e.g. a decision-region grid or [0, 1]).
Ticks ticks_within(double lo, double hi, int target = 6);

// Tick label for v on an axis with the given step: enough decimals for the step, "-0"
// printed as "0", and exponent notation for very large or small magnitudes ("2e6").
std::string format_tick(double v, double step);

// Maps a data interval [d0, d1] onto a pixel interval [r0, r1] (r0 > r1 for y axes).
struct LinearScale {
  double d0 = 0, d1 = 1, r0 = 0, r1 = 1;
  double operator()(double v) const;
};

// The plotting area of a chart, in pixels.
struct Frame {
  double left = 0, top = 0, width = 0, height = 0;
  double right() const { return left + width; }
  double bottom() const { return top + height; }
};

// ---------------------------------------------------------------------------------------
// The document

struct Point {
  double x = 0, y = 0;
};

struct Stroke {
  Color color = kBlack;
  double width = 1;
  std::string dash = {};  // SVG stroke-dasharray, "" = solid
  double opacity = 1;
};

enum class Anchor { start, middle, end };
// Vertical placement of text relative to y: baseline, centred, or text below y.
enum class VAlign { baseline, middle, top };

struct TextStyle {
  double size = 12;
  Anchor anchor = Anchor::start;
  VAlign valign = VAlign::baseline;
  bool bold = false;
  Color color = kTextColor;
  double rotate = 0;  // degrees, about (x, y); -90 reads bottom to top
};

enum class Marker { circle, square, triangle, diamond };
// The marker shape for the index-th class or series (cycles through the four shapes).
Marker marker_for(std::size_t index);

class SvgDocument {
 public:
  // `title` becomes the document's <title> (shown as the browser tab name).
  SvgDocument(double width, double height, std::string_view title = {});

  double width() const { return width_; }
  double height() const { return height_; }

  // Optional `css_class` sets class="..." (tests and stylesheets find elements by it);
  // optional `tooltip` adds a <title> child that browsers show on hover.
  void line(double x1, double y1, double x2, double y2, const Stroke& stroke,
            std::string_view css_class = {});
  void polyline(std::span<const Point> points, const Stroke& stroke,
                std::string_view css_class = {}, std::string_view tooltip = {});
  void rect(double x, double y, double w, double h, std::optional<Color> fill,
            std::optional<Stroke> stroke = std::nullopt, std::string_view css_class = {},
            std::string_view tooltip = {});
  void circle(double cx, double cy, double r, std::optional<Color> fill,
              std::optional<Stroke> stroke = std::nullopt, std::string_view css_class = {});
  // A marker of the given shape with about the area of a circle of radius `r`.
  void marker(Marker shape, double cx, double cy, double r, Color fill,
              std::optional<Stroke> stroke = std::nullopt, std::string_view css_class = {});
  void text(double x, double y, std::string_view text, const TextStyle& style,
            std::string_view css_class = {}, std::string_view tooltip = {});

  // Groups nest; every begin_group needs an end_group before str(). crisp_edges turns off
  // anti-aliasing inside (no hairline seams between adjacent cells).
  void begin_group(std::string_view css_class = {}, bool crisp_edges = false);
  void end_group();
  // A group whose contents are clipped to the rectangle; closed by end_group().
  void begin_clip(double x, double y, double w, double h, std::string_view css_class = {});

  // The complete document, XML declaration included. Throws std::logic_error if a group
  // is still open.
  std::string str() const;
  // Writes str() to `path` with write_file.
  void save(const std::filesystem::path& path) const;

 private:
  void open_tag(std::string_view name, std::string_view css_class);
  void close_with_tooltip(std::string_view name, std::string_view tooltip);

  double width_, height_;
  std::string title_;
  std::string body_;
  int open_groups_ = 0;
  int clip_count_ = 0;
};

// Writes `content` to `path` with xg::write_file_atomic (binary, replacing the file): a
// std::system_error ("plot: cannot create a file in the folder of 'PATH': <errno text>", ...) or
// xg::FormatError for a target that is not a regular file; both are runtime_errors.
void write_file(const std::filesystem::path& path, std::string_view content);

// ---------------------------------------------------------------------------------------
// Chart furniture

// One axis of a chart: how data maps to pixels, where the ticks are, and its title.
struct Axis {
  LinearScale scale;
  Ticks ticks;
  std::string label = {};
};

// Grid lines (optional), the frame border, ticks with labels, and the two axis titles
// (x below the frame, y rotated left of it at `y_label_x`).
void draw_axes(SvgDocument& doc, const Frame& frame, const Axis& x, const Axis& y, double y_label_x,
               bool grid = true);

// Width in pixels of the widest tick label of an axis at the given font size.
double tick_label_width(const Ticks& ticks, double font_size);

// The chart title, centred over [0, doc width] at y, ellipsized to fit.
void draw_title(SvgDocument& doc, std::string_view title, double y);

struct LegendEntry {
  enum class Kind { line, marker, swatch };
  std::string label = {};
  Color color = kBlack;
  Kind kind = Kind::line;
  std::string dash = {};             // for Kind::line
  Marker marker = Marker::circle;    // for Kind::marker
  std::optional<Color> swatch = {};  // Kind::marker: also a tinted square behind the marker
};

inline constexpr double kLegendFontSize = 12;
inline constexpr std::size_t kLegendMaxChars = 40;  // longer labels are ellipsized

// Size of the legend box draw_legend() draws for these entries.
double legend_width(const std::vector<LegendEntry>& entries);
double legend_height(const std::vector<LegendEntry>& entries);

// A legend box with its top-left corner at (x, y); each entry is a <g class="legend-entry">
// whose tooltip holds the full label.
void draw_legend(SvgDocument& doc, double x, double y, const std::vector<LegendEntry>& entries);

}  // namespace xg::plot

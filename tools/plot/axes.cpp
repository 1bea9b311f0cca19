// Ticks, scales, axes, titles and legends (declared in svg.hpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "tools/plot/svg.hpp"

namespace xg::plot {

namespace {
constexpr double kTickFont = 11;
constexpr double kAxisLabelFont = 13;
constexpr double kTitleFont = 16;
constexpr double kHuge = 1e300;  // |bounds| are clamped here so hi - lo stays finite
constexpr std::size_t kMaxTicks = 200;

// Rounds v to the nearest multiple of step, so accumulated error never prints as
// 0.30000000000000004 and 0 is exactly 0.
double snap(double v, double step) { return std::round(v / step) * step; }
}  // namespace

double nice_step(double span, int target) {
  target = std::max(target, 1);
  if (!(span > 0) || !std::isfinite(span)) return 1;
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;  // in [1, 10)
  // The smallest of 1, 2, 5, 10 that is at least `norm`: at most `target` intervals.
  const double nice = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10;
  return nice * mag;
}

namespace {
// Makes [lo, hi] a finite, non-empty, ordered interval.
void sanitize_range(double& lo, double& hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  lo = std::clamp(lo, -kHuge, kHuge);
  hi = std::clamp(hi, -kHuge, kHuge);
  if (lo > hi) std::swap(lo, hi);
  // Equal bounds, or a span below what doubles near the values can resolve: widen around
  // the middle by 10% of its magnitude (by 1 around zero).
  const double mid = lo / 2 + hi / 2;
  if (hi - lo <= std::abs(mid) * 1e-12) {
    const double pad = mid == 0 ? 1 : std::abs(mid) * 0.1;
    lo = mid - pad;
    hi = mid + pad;
  }
}
}  // namespace

Ticks nice_ticks(double lo, double hi, int target) {
  sanitize_range(lo, hi);
  Ticks t;
  t.step = nice_step(hi - lo, target);
  t.lo = std::floor(lo / t.step) * t.step;
  t.hi = std::ceil(hi / t.step) * t.step;
  const auto n = static_cast<std::size_t>(std::llround((t.hi - t.lo) / t.step));
  for (std::size_t i = 0; i <= std::min(n, kMaxTicks); ++i) {
    t.values.push_back(snap(t.lo + static_cast<double>(i) * t.step, t.step));
  }
  return t;
}

Ticks ticks_within(double lo, double hi, int target) {
  sanitize_range(lo, hi);
  Ticks t;
  t.lo = lo;
  t.hi = hi;
  t.step = nice_step(hi - lo, target);
  const double first = std::ceil(lo / t.step - 1e-9) * t.step;
  for (std::size_t i = 0; i <= kMaxTicks; ++i) {
    const double v = snap(first + static_cast<double>(i) * t.step, t.step);
    if (v > hi + t.step * 1e-9) break;
    t.values.push_back(v);
  }
  return t;
}

std::string format_tick(double v, double step) {
  if (!std::isfinite(v)) return "";
  if (!(step > 0) || !std::isfinite(step)) step = std::abs(v) > 0 ? std::abs(v) : 1;
  if (std::abs(v) < step * 1e-6) v = 0;
  char buf[64];
  const double magnitude = std::max(std::abs(v), step);
  if (magnitude >= 1e6 || step < 1e-4) {
    if (v == 0) return {'0'};
    // Exponent notation with the digits the step needs: 2.5e6, 1e-5.
    const int digits = v == 0 ? 1
                              : std::clamp(static_cast<int>(std::floor(std::log10(std::abs(v))) -
                                                            std::floor(std::log10(step)) + 1),
                                           1, 15);
    // %e, not %g: %g prints 1e-4 as 0.0001 but 5e-5 as 5e-05, mixing styles on one axis.
    std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
    const std::string_view s = buf;
    const auto e = s.find('e');
    std::string mantissa(s.substr(0, e));
    if (mantissa.find('.') != std::string::npos) {
      while (mantissa.back() == '0') mantissa.pop_back();
      if (mantissa.back() == '.') mantissa.pop_back();
    }
    // "2e+06" -> "2e6", "1e-05" -> "1e-5"
    std::size_t i = e + 1;
    const bool negative = s[i] == '-';
    if (s[i] == '+' || s[i] == '-') ++i;
    while (i + 1 < s.size() && s[i] == '0') ++i;
    mantissa += negative ? "e-" : "e";
    mantissa += s.substr(i);
    return mantissa;
  }
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  // "-0.00" -> "0"
  if (std::string_view(buf).find_first_not_of("-0.") == std::string_view::npos) return {'0'};
  return buf;
}

double LinearScale::operator()(double v) const {
  if (d1 == d0) return (r0 + r1) / 2;
  return r0 + (v - d0) / (d1 - d0) * (r1 - r0);
}

double tick_label_width(const Ticks& ticks, double font_size) {
  double w = 0;
  for (double v : ticks.values) w = std::max(w, text_width(format_tick(v, ticks.step), font_size));
  return w;
}

void draw_axes(SvgDocument& doc, const Frame& frame, const Axis& x, const Axis& y, double y_label_x,
               bool grid) {
  const Stroke grid_stroke{kGridColor, 1};
  const Stroke axis_stroke{kAxisColor, 1};
  // A tick is drawn when it falls inside the frame (half a pixel of slack for rounding).
  auto inside = [](double p, double a, double b) {
    return p >= std::min(a, b) - 0.5 && p <= std::max(a, b) + 0.5;
  };

  doc.begin_group("axes");
  if (grid) {
    for (double v : x.ticks.values) {
      const double px = x.scale(v);
      if (inside(px, frame.left, frame.right())) {
        doc.line(px, frame.top, px, frame.bottom(), grid_stroke, "grid");
      }
    }
    for (double v : y.ticks.values) {
      const double py = y.scale(v);
      if (inside(py, frame.top, frame.bottom())) {
        doc.line(frame.left, py, frame.right(), py, grid_stroke, "grid");
      }
    }
  }
  doc.line(frame.left, frame.bottom(), frame.right(), frame.bottom(), axis_stroke, "axis");
  doc.line(frame.left, frame.top, frame.left, frame.bottom(), axis_stroke, "axis");

  const TextStyle x_tick_style{.size = kTickFont, .anchor = Anchor::middle, .valign = VAlign::top};
  for (double v : x.ticks.values) {
    const double px = x.scale(v);
    if (!inside(px, frame.left, frame.right())) continue;
    doc.line(px, frame.bottom(), px, frame.bottom() + 5, axis_stroke);
    doc.text(px, frame.bottom() + 8, format_tick(v, x.ticks.step), x_tick_style, "tick-label");
  }
  const TextStyle y_tick_style{.size = kTickFont, .anchor = Anchor::end, .valign = VAlign::middle};
  for (double v : y.ticks.values) {
    const double py = y.scale(v);
    if (!inside(py, frame.top, frame.bottom())) continue;
    doc.line(frame.left - 5, py, frame.left, py, axis_stroke);
    doc.text(frame.left - 8, py, format_tick(v, y.ticks.step), y_tick_style, "tick-label");
  }

  if (!x.label.empty()) {
    doc.text(frame.left + frame.width / 2, frame.bottom() + 40, x.label,
             {.size = kAxisLabelFont, .anchor = Anchor::middle}, "axis-label");
  }
  if (!y.label.empty()) {
    doc.text(y_label_x, frame.top + frame.height / 2, y.label,
             {.size = kAxisLabelFont, .anchor = Anchor::middle, .rotate = -90}, "axis-label");
  }
  doc.end_group();
}

void draw_title(SvgDocument& doc, std::string_view title, double y) {
  if (title.empty()) return;
  std::string shown(title);
  // Cut one code point at a time until it fits: titles are short, this is cheap.
  for (std::size_t n = utf8_length(title);
       n > 1 && text_width(shown, kTitleFont) > doc.width() - 20;) {
    shown = ellipsize(title, --n);
  }
  doc.text(doc.width() / 2, y, shown, {.size = kTitleFont, .anchor = Anchor::middle, .bold = true},
           "chart-title", shown != title ? title : std::string_view{});
}

// ---------------------------------------------------------------------------------------
// Legend

namespace {
constexpr double kLegendPad = 8;
constexpr double kLegendRow = 20;
constexpr double kLegendSymbol = 24;
constexpr double kLegendGap = 6;
}  // namespace

double legend_width(const std::vector<LegendEntry>& entries) {
  double w = 0;
  for (const auto& e : entries) {
    w = std::max(w, text_width(ellipsize(e.label, kLegendMaxChars), kLegendFontSize));
  }
  return 2 * kLegendPad + kLegendSymbol + kLegendGap + w;
}

double legend_height(const std::vector<LegendEntry>& entries) {
  return 2 * kLegendPad + kLegendRow * static_cast<double>(entries.size());
}

void draw_legend(SvgDocument& doc, double x, double y, const std::vector<LegendEntry>& entries) {
  if (entries.empty()) return;
  doc.begin_group("legend");
  doc.rect(x, y, legend_width(entries), legend_height(entries), kWhite, Stroke{{200, 200, 200}, 1});
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const LegendEntry& e = entries[i];
    const double cy = y + kLegendPad + kLegendRow * (static_cast<double>(i) + 0.5);
    const double sx = x + kLegendPad;  // symbol's left edge
    doc.begin_group("legend-entry");
    switch (e.kind) {
      case LegendEntry::Kind::line:
        doc.line(sx, cy, sx + kLegendSymbol, cy, Stroke{e.color, 2.5, e.dash});
        break;
      case LegendEntry::Kind::marker:
        if (e.swatch) doc.rect(sx + 4, cy - 8, 16, 16, *e.swatch);
        doc.marker(e.marker, sx + kLegendSymbol / 2, cy, 4.5, e.color, Stroke{kWhite, 0.8});
        break;
      case LegendEntry::Kind::swatch:
        doc.rect(sx + 5, cy - 7, 14, 14, e.color, Stroke{kAxisColor, 0.5});
        break;
    }
    const std::string shown = ellipsize(e.label, kLegendMaxChars);
    doc.text(sx + kLegendSymbol + kLegendGap, cy, shown,
             {.size = kLegendFontSize, .valign = VAlign::middle}, "legend-label",
             shown != e.label ? std::string_view(e.label) : std::string_view{});
    doc.end_group();
  }
  doc.end_group();
}

}  // namespace xg::plot

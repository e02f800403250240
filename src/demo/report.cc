#include "demo/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>

namespace brook::demo {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------------------
// JSON

json PhaseToJson(const Phase& p) {
  return json{{"name", p.name}, {"rate", p.rate}, {"seconds", p.seconds}};
}

json SampleToJson(const Sample& s) {
  json j = {{"t", s.t},
            {"phase", s.phase},
            {"replicas", s.replicas},
            {"running", s.running},
            {"desired", nullptr},
            {"input_rate", s.input_rate},
            {"processed_rate", s.processed_rate},
            {"lag", s.lag},
            {"rebalances", s.rebalances},
            {"max_stall_ms", s.max_stall_ms}};
  if (s.desired.has_value()) j["desired"] = *s.desired;
  return j;
}

json RunToJsonValue(const Run& run) {
  json profile = json::array();
  for (const Phase& p : run.profile) profile.push_back(PhaseToJson(p));
  json samples = json::array();
  for (const Sample& s : run.samples) samples.push_back(SampleToJson(s));
  json events = json::array();
  for (const Event& e : run.events) events.push_back(json{{"t", e.t}, {"text", e.text}});
  json summary = json::array();
  for (const auto& [key, value] : run.summary) {
    summary.push_back(json{{"key", key}, {"value", value}});
  }
  return json{{"title", run.title}, {"started_at", run.started_at},
              {"profile", profile}, {"samples", samples},
              {"events", events},   {"summary", summary}};
}

// Never throws: invalid UTF-8 becomes U+FFFD.
std::string Dump(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

Status Bad(std::string_view path, std::string_view what) {
  return Status::InvalidArgument(fmt::format("{}: {}", path, what));
}

std::string Join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

// `j` is an object with exactly `required` plus any of `optional` as keys.
Status CheckObject(const json& j, std::string_view path,
                   std::initializer_list<std::string_view> required,
                   std::initializer_list<std::string_view> optional = {}) {
  std::string where = path.empty() ? std::string("run") : std::string(path);
  if (!j.is_object()) return Bad(where, fmt::format("expected an object, got {}", j.type_name()));
  for (std::string_view key : required) {
    if (!j.contains(key)) return Bad(where, fmt::format("missing field \"{}\"", key));
  }
  for (const auto& item : j.items()) {
    const std::string& key = item.key();
    auto known = [&key](std::initializer_list<std::string_view> keys) {
      return std::find(keys.begin(), keys.end(), key) != keys.end();
    };
    if (!known(required) && !known(optional)) {
      return Bad(where, fmt::format("unknown field \"{}\"", key));
    }
  }
  return Status::Ok();
}

Result<std::string> GetString(const json& obj, std::string_view key, std::string_view path) {
  const json& v = obj.at(key);
  if (!v.is_string()) {
    return Bad(Join(path, key), fmt::format("expected a string, got {}", v.type_name()));
  }
  return v.get<std::string>();
}

// A finite number >= min_value.
Result<double> GetNumber(const json& obj, std::string_view key, std::string_view path,
                         double min_value = -std::numeric_limits<double>::infinity()) {
  const json& v = obj.at(key);
  if (!v.is_number()) {
    return Bad(Join(path, key), fmt::format("expected a number, got {}", v.type_name()));
  }
  const double d = v.get<double>();
  if (!std::isfinite(d)) return Bad(Join(path, key), "expected a finite number");
  if (d < min_value) {
    return Bad(Join(path, key), fmt::format("{} is below the minimum {}", d, min_value));
  }
  return d;
}

// An integral number in [min_value, max_value].
Result<int64_t> GetInteger(const json& v, std::string_view path, int64_t min_value,
                           int64_t max_value) {
  if (!v.is_number_integer()) {
    const char* got = v.is_number_float() ? "a fractional number" : v.type_name();
    return Bad(path, fmt::format("expected an integer, got {}", got));
  }
  if (v.is_number_unsigned() &&
      v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Bad(path, "integer out of range");
  }
  const auto i = v.get<int64_t>();
  if (i < min_value || i > max_value) {
    return Bad(path, fmt::format("{} is out of range [{}, {}]", i, min_value, max_value));
  }
  return i;
}

Result<int64_t> GetInt64(const json& obj, std::string_view key, std::string_view path,
                         int64_t min_value = std::numeric_limits<int64_t>::min()) {
  return GetInteger(obj.at(key), Join(path, key), min_value, std::numeric_limits<int64_t>::max());
}

Result<int> GetInt(const json& obj, std::string_view key, std::string_view path,
                   int min_value = 0) {
  BROOK_ASSIGN_OR_RETURN(int64_t i, GetInteger(obj.at(key), Join(path, key), min_value,
                                               std::numeric_limits<int>::max()));
  return static_cast<int>(i);
}

Result<const json*> GetArray(const json& obj, std::string_view key) {
  const json& v = obj.at(key);
  if (!v.is_array()) return Bad(key, fmt::format("expected an array, got {}", v.type_name()));
  return &v;
}

Result<Phase> ParsePhase(const json& j, const std::string& path) {
  BROOK_RETURN_IF_ERROR(CheckObject(j, path, {"name", "rate", "seconds"}));
  Phase p;
  BROOK_ASSIGN_OR_RETURN(p.name, GetString(j, "name", path));
  BROOK_ASSIGN_OR_RETURN(p.rate, GetNumber(j, "rate", path, 0));
  BROOK_ASSIGN_OR_RETURN(p.seconds, GetNumber(j, "seconds", path, 0));
  return p;
}

Result<Sample> ParseSample(const json& j, const std::string& path) {
  BROOK_RETURN_IF_ERROR(CheckObject(j, path,
                                    {"t", "phase", "replicas", "running", "input_rate",
                                     "processed_rate", "lag", "rebalances", "max_stall_ms"},
                                    {"desired"}));
  Sample s;
  BROOK_ASSIGN_OR_RETURN(s.t, GetNumber(j, "t", path, 0));
  BROOK_ASSIGN_OR_RETURN(s.phase, GetString(j, "phase", path));
  BROOK_ASSIGN_OR_RETURN(s.replicas, GetInt(j, "replicas", path));
  BROOK_ASSIGN_OR_RETURN(s.running, GetInt(j, "running", path));
  if (j.contains("desired") && !j.at("desired").is_null()) {
    BROOK_ASSIGN_OR_RETURN(s.desired, GetInt(j, "desired", path));
  }
  BROOK_ASSIGN_OR_RETURN(s.input_rate, GetNumber(j, "input_rate", path));
  BROOK_ASSIGN_OR_RETURN(s.processed_rate, GetNumber(j, "processed_rate", path));
  BROOK_ASSIGN_OR_RETURN(s.lag, GetInt64(j, "lag", path));
  BROOK_ASSIGN_OR_RETURN(s.rebalances, GetInt64(j, "rebalances", path, 0));
  BROOK_ASSIGN_OR_RETURN(s.max_stall_ms, GetInt64(j, "max_stall_ms", path, 0));
  return s;
}

Result<Event> ParseEvent(const json& j, const std::string& path) {
  BROOK_RETURN_IF_ERROR(CheckObject(j, path, {"t", "text"}));
  Event e;
  BROOK_ASSIGN_OR_RETURN(e.t, GetNumber(j, "t", path, 0));
  BROOK_ASSIGN_OR_RETURN(e.text, GetString(j, "text", path));
  return e;
}

Result<Run> ParseRun(const json& j) {
  BROOK_RETURN_IF_ERROR(
      CheckObject(j, "", {"title", "started_at", "profile", "samples", "events", "summary"}));
  Run run;
  BROOK_ASSIGN_OR_RETURN(run.title, GetString(j, "title", ""));
  BROOK_ASSIGN_OR_RETURN(run.started_at, GetString(j, "started_at", ""));

  BROOK_ASSIGN_OR_RETURN(const json* profile, GetArray(j, "profile"));
  for (size_t i = 0; i < profile->size(); ++i) {
    BROOK_ASSIGN_OR_RETURN(Phase p, ParsePhase((*profile)[i], fmt::format("profile[{}]", i)));
    run.profile.push_back(std::move(p));
  }
  BROOK_ASSIGN_OR_RETURN(const json* samples, GetArray(j, "samples"));
  for (size_t i = 0; i < samples->size(); ++i) {
    const std::string path = fmt::format("samples[{}]", i);
    BROOK_ASSIGN_OR_RETURN(Sample s, ParseSample((*samples)[i], path));
    if (!run.samples.empty() && s.t < run.samples.back().t) {
      return Bad(path + ".t", fmt::format("{} is before samples[{}].t = {} (samples must be "
                                          "ordered by time)",
                                          s.t, i - 1, run.samples.back().t));
    }
    run.samples.push_back(std::move(s));
  }
  BROOK_ASSIGN_OR_RETURN(const json* events, GetArray(j, "events"));
  for (size_t i = 0; i < events->size(); ++i) {
    BROOK_ASSIGN_OR_RETURN(Event e, ParseEvent((*events)[i], fmt::format("events[{}]", i)));
    run.events.push_back(std::move(e));
  }
  BROOK_ASSIGN_OR_RETURN(const json* summary, GetArray(j, "summary"));
  for (size_t i = 0; i < summary->size(); ++i) {
    const std::string path = fmt::format("summary[{}]", i);
    const json& row = (*summary)[i];
    BROOK_RETURN_IF_ERROR(CheckObject(row, path, {"key", "value"}));
    BROOK_ASSIGN_OR_RETURN(std::string key, GetString(row, "key", path));
    BROOK_ASSIGN_OR_RETURN(std::string value, GetString(row, "value", path));
    run.summary.emplace_back(std::move(key), std::move(value));
  }
  return run;
}

// ---------------------------------------------------------------------------------------
// HTML

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// JSON safe to embed in a <script> element: '<', '>' and '&' only occur inside JSON strings,
// where \u escapes mean the same, so "</script>" and "<!--" cannot appear in the output.
std::string EmbedJson(const json& j) {
  const std::string text = Dump(j, -1);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// 1234.5 -> "1,234.5"; integers without decimals; non-finite as "–".
std::string FormatNumber(double v, int decimals = 1) {
  if (!std::isfinite(v)) return "\u2013";
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  const size_t start = (s[0] == '-') ? 1 : 0;
  size_t int_end = s.find('.');
  if (int_end == std::string::npos) int_end = s.size();
  for (size_t i = int_end; i > start + 3; i -= 3) s.insert(i - 3, ",");
  return s;
}

// Seconds as "m:ss" (or "h:mm:ss").
std::string FormatClock(double seconds) {
  if (!std::isfinite(seconds)) return "\u2013";
  const auto total = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  const int64_t h = total / 3600;
  const int64_t m = (total / 60) % 60;
  const int64_t s = total % 60;
  if (h > 0) return fmt::format("{}:{:02}:{:02}", h, m, s);
  return fmt::format("{}:{:02}", m, s);
}

constexpr std::string_view kStyle = R"CSS(
:root { color-scheme: light; --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
h3 { font-size: 14px; margin: 0 0 2px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.cards { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.card, figure { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 14px; margin: 0; }
figure { margin: 0 0 16px; }
figcaption { color: var(--muted); font-size: 12.5px; margin-bottom: 4px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; }
table.kv th { width: 40%; color: var(--fg); font-weight: 500; }
svg.plot { width: 100%; height: auto; display: block; overflow: visible; }
svg.plot text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans",
  sans-serif; fill: #4b5563; }
svg.plot .title { font-size: 12px; fill: var(--fg); }
svg.plot .nodata { font-size: 16px; fill: #9ca3af; }
svg.plot .grid { stroke: #eef0f3; }
svg.plot .axis { stroke: #9ca3af; }
svg.plot .event { stroke: #111827; stroke-width: 1; stroke-dasharray: 3 3; opacity: .55; }
svg.plot .series { fill: none; stroke-linejoin: round; stroke-linecap: round; }
svg.plot .hover { stroke: #111827; stroke-width: 1; opacity: .35; }
.tip { position: fixed; pointer-events: none; background: rgba(17,24,39,.92); color: #fff;
  font-size: 12px; padding: 6px 8px; border-radius: 6px; white-space: pre; display: none; }
.error { color: #b91c1c; font-weight: 600; }
.noscript { border: 1px solid #f59e0b; background: #fffbeb; padding: 8px 12px;
  border-radius: 8px; }
details summary { cursor: pointer; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
@media (max-width: 760px) { .cards { grid-template-columns: 1fr; } }
)CSS";

// Draws the plots from #brook-data. Each <svg class="plot"> names what it shows in
// data-plot; after drawing it gets data-rendered="true" and data-points="<samples>".
constexpr std::string_view kScript = R"JS(
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var W = 960, H = 262, M = {l: 64, r: 18, t: 46, b: 40};
  var PW = W - M.l - M.r, PH = H - M.t - M.b;
  var PHASE_FILLS = ['#eff6ff', '#fef3c7', '#ecfdf5', '#fce7f3', '#f1f5f9'];
  var PLOTS = {
    replicas: {unit: 'instances', integer: true, series: [
      {key: 'replicas', label: 'replicas (runner)', color: '#2563eb', width: 2.5, step: true},
      {key: 'running', label: 'running & ready', color: '#16a34a', width: 1.5, step: true},
      {key: 'desired', label: 'desired (median)', color: '#ea580c', width: 2, step: true,
       dash: '6 4'}]},
    rates: {unit: 'records/s', series: [
      {key: 'input_rate', label: 'input rate', color: '#2563eb', width: 2},
      {key: 'processed_rate', label: 'processed rate', color: '#16a34a', width: 2}]},
    lag: {unit: 'records', series: [
      {key: 'lag', label: 'total lag', color: '#9333ea', width: 2, area: true}]},
    stall: {unit: 'ms', series: [
      {key: 'max_stall_ms', label: 'longest stall in interval', color: '#dc2626', width: 2,
       dots: true}]}
  };

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) {
      e.setAttribute(k, String(attrs[k]));
    }
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, attrs) {
    var a = attrs || {};
    a.x = x; a.y = y;
    var t = el('text', a, parent);
    t.textContent = s;
    return t;
  }
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  function niceStep(range, count, integer) {
    var raw = range / Math.max(1, count);
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var f = raw / p;
    var step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    return integer ? Math.max(1, Math.round(step)) : step;
  }
  function fmtValue(v) {
    var a = Math.abs(v);
    if (a >= 1e9) return +(v / 1e9).toFixed(1) + 'G';
    if (a >= 1e6) return +(v / 1e6).toFixed(1) + 'M';
    if (a >= 1e4) return +(v / 1e3).toFixed(1) + 'k';
    if (a >= 100 || v === Math.round(v)) return String(Math.round(v));
    return String(+v.toFixed(2));
  }
  function fmtClock(s) {
    s = Math.round(s);
    var m = Math.floor(s / 60), r = s - m * 60;
    return m + ':' + (r < 10 ? '0' : '') + r;
  }
  function timeStep(range) {
    var steps = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600];
    for (var i = 0; i < steps.length; i++) if (range / steps[i] <= 10) return steps[i];
    return niceStep(range, 10, true);
  }

  // Contiguous runs of the same phase name: [{name, from, to, index}].
  function phaseSpans(samples, xmax) {
    var spans = [], names = [];
    samples.forEach(function (s, i) {
      var t = num(s.t);
      if (t === null) return;
      var name = String(s.phase || '');
      var last = spans[spans.length - 1];
      if (!last || last.name !== name) {
        if (last) last.to = t;
        if (names.indexOf(name) < 0) names.push(name);
        spans.push({name: name, from: i === 0 ? 0 : t, to: xmax, index: names.indexOf(name)});
      }
    });
    return spans;
  }

  function draw(svg, spec, data) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    var samples = data.samples, events = data.events;
    el('rect', {x: 0, y: 0, width: W, height: H, fill: '#fff'}, svg);
    if (samples.length === 0) {
      el('rect', {x: M.l, y: M.t, width: PW, height: PH, fill: 'none', 'class': 'axis'}, svg);
      text(svg, M.l + PW / 2, M.t + PH / 2, 'no data', {'text-anchor': 'middle',
        'class': 'nodata'});
      svg.setAttribute('data-points', '0');
      svg.setAttribute('data-rendered', 'true');
      return;
    }
    // Domains.
    var xmax = 0;
    samples.forEach(function (s) { var t = num(s.t); if (t !== null) xmax = Math.max(xmax, t); });
    events.forEach(function (e) { var t = num(e.t); if (t !== null) xmax = Math.max(xmax, t); });
    if (xmax <= 0) xmax = 1;
    var ymin = 0, ymax = 0;
    spec.series.forEach(function (sr) {
      samples.forEach(function (s) {
        var v = num(s[sr.key]);
        if (v !== null) { ymax = Math.max(ymax, v); ymin = Math.min(ymin, v); }
      });
    });
    if (ymax <= ymin) ymax = ymin + 1;
    var top = ymax;
    var ystep = niceStep(ymax - ymin, 5, spec.integer);
    ymax = Math.ceil(top / ystep) * ystep;
    if (ymax - top < ystep * 0.1) ymax += ystep;  // headroom above the highest value
    ymin = Math.floor(ymin / ystep) * ystep;
    function X(t) { return M.l + (t / xmax) * PW; }
    function Y(v) { return M.t + PH - ((v - ymin) / (ymax - ymin)) * PH; }

    // Phase shading and names.
    var g = el('g', {'class': 'phases'}, svg);
    phaseSpans(samples, xmax).forEach(function (p) {
      var x0 = X(p.from), x1 = X(p.to);
      el('rect', {x: x0, y: M.t, width: Math.max(0, x1 - x0), height: PH,
                  fill: PHASE_FILLS[p.index % PHASE_FILLS.length]}, g);
      if (x1 - x0 > 44 && p.name) {
        text(g, x0 + 5, M.t + 12, p.name, {'fill': '#6b7280'});
      }
    });

    // Grid, axes and ticks.
    var ga = el('g', {'class': 'axes'}, svg);
    for (var v = ymin; v <= ymax + ystep / 2; v += ystep) {
      var y = Y(v);
      el('line', {x1: M.l, x2: M.l + PW, y1: y, y2: y, 'class': v === 0 ? 'axis' : 'grid'}, ga);
      text(ga, M.l - 6, y + 4, fmtValue(v), {'text-anchor': 'end'});
    }
    var xstep = timeStep(xmax);
    for (var t = 0; t <= xmax + 1e-9; t += xstep) {
      var x = X(t);
      el('line', {x1: x, x2: x, y1: M.t + PH, y2: M.t + PH + 5, 'class': 'axis'}, ga);
      text(ga, x, M.t + PH + 17, fmtClock(t), {'text-anchor': 'middle'});
    }
    el('line', {x1: M.l, x2: M.l, y1: M.t, y2: M.t + PH, 'class': 'axis'}, ga);
    el('line', {x1: M.l, x2: M.l + PW, y1: M.t + PH, y2: M.t + PH, 'class': 'axis'}, ga);
    text(ga, M.l + PW / 2, H - 4, 'time since start (m:ss)', {'text-anchor': 'middle'});
    text(ga, 0, 0, spec.unit, {'text-anchor': 'middle',
      transform: 'translate(14,' + (M.t + PH / 2) + ') rotate(-90)'});

    // Series.
    var gs = el('g', {'class': 'data'}, svg);
    spec.series.forEach(function (sr) {
      var d = '', area = '', pts = [], prev = null, run = [];
      function flush() {
        if (sr.area && run.length > 1) {
          area += 'M' + run[0][0] + ',' + Y(Math.max(ymin, 0)) + run.map(function (p) {
            return 'L' + p[0] + ',' + p[1];
          }).join('') + 'L' + run[run.length - 1][0] + ',' + Y(Math.max(ymin, 0)) + 'Z';
        }
        run = [];
      }
      samples.forEach(function (s) {
        var t = num(s.t), v = num(s[sr.key]);
        if (t === null || v === null) { prev = null; flush(); return; }
        var x = +X(t).toFixed(2), y = +Y(v).toFixed(2);
        if (prev === null) d += 'M' + x + ',' + y;
        else if (sr.step) d += 'H' + x + 'V' + y;
        else d += 'L' + x + ',' + y;
        run.push([x, y]);
        pts.push([x, y]);
        prev = [x, y];
      });
      flush();
      sr.count = pts.length;
      if (!d) return;
      if (area) el('path', {d: area, fill: sr.color, opacity: 0.12, 'class': 'area'}, gs);
      var attrs = {d: d, stroke: sr.color, 'stroke-width': sr.width, 'class': 'series',
                   'data-key': sr.key};
      if (sr.dash) attrs['stroke-dasharray'] = sr.dash;
      el('path', attrs, gs);
      if (sr.dots && pts.length <= 400) {
        pts.forEach(function (p) { el('circle', {cx: p[0], cy: p[1], r: 2, fill: sr.color}, gs); });
      }
    });

    // Events: numbered dashed markers (numbers match the events table).
    // Close markers are spread apart; a short leader joins a moved one to its line.
    var ge = el('g', {'class': 'events'}, svg), lastX = -Infinity;
    events.forEach(function (e, i) {
      var t = num(e.t);
      if (t === null) return;
      var x = X(t), cx = Math.max(x, lastX + 17);
      lastX = cx;
      el('line', {x1: x, x2: x, y1: M.t, y2: M.t + PH, 'class': 'event'}, ge);
      if (cx !== x) el('line', {x1: x, x2: cx, y1: M.t, y2: M.t - 4, 'class': 'event'}, ge);
      var mark = el('g', {'class': 'event-mark'}, ge);
      el('circle', {cx: cx, cy: M.t - 11, r: 7.5, fill: '#111827'}, mark);
      text(mark, cx, M.t - 7.5, String(i + 1), {'text-anchor': 'middle', fill: '#fff',
        'font-size': '10'});
      el('title', {}, mark).textContent = 'event ' + (i + 1) + ' at ' + fmtClock(t) + ': ' + e.text;
    });

    // Legend (top right).
    var gl = el('g', {'class': 'legend'}, svg), lx = M.l;
    spec.series.forEach(function (sr) {
      var label = sr.label + (sr.count ? '' : ' (no data)');
      var a = {x1: lx, x2: lx + 20, y1: 11, y2: 11, stroke: sr.color, 'stroke-width': sr.width};
      if (sr.dash) a['stroke-dasharray'] = sr.dash;
      el('line', a, gl);
      var lt = text(gl, lx + 25, 15, label);
      lx += 25 + (lt.getComputedTextLength ? lt.getComputedTextLength() : label.length * 6.2) + 22;
    });
    if (events.length) {
      el('line', {x1: lx, x2: lx, y1: 4, y2: 18, 'class': 'event'}, gl);
      text(gl, lx + 6, 15, 'event (numbered as in the Events table)');
    }

    // Hover read-out.
    var hover = el('line', {y1: M.t, y2: M.t + PH, 'class': 'hover', visibility: 'hidden'}, svg);
    var tip = document.getElementById('tip');
    svg.addEventListener('mousemove', function (ev) {
      var m = svg.getScreenCTM();
      if (!m || !tip) return;
      var px = (ev.clientX - m.e) / m.a;
      var best = null;
      samples.forEach(function (s) {
        var t = num(s.t);
        if (t !== null && (best === null || Math.abs(X(t) - px) < Math.abs(X(best.t) - px))) best = s;
      });
      if (!best || px < M.l || px > M.l + PW) { hover.setAttribute('visibility', 'hidden');
        tip.style.display = 'none'; return; }
      hover.setAttribute('x1', X(best.t)); hover.setAttribute('x2', X(best.t));
      hover.setAttribute('visibility', 'visible');
      tip.textContent = fmtClock(best.t) + '  ' + (best.phase || '') + '\n' +
          spec.series.map(function (sr) {
            var v = num(best[sr.key]);
            return sr.label + ': ' + (v === null ? '\u2013' : fmtValue(v));
          }).join('\n');
      tip.style.display = 'block';
      tip.style.left = (ev.clientX + 14) + 'px';
      tip.style.top = (ev.clientY + 14) + 'px';
    });
    svg.addEventListener('mouseleave', function () {
      hover.setAttribute('visibility', 'hidden');
      if (tip) tip.style.display = 'none';
    });

    svg.setAttribute('data-points', String(samples.length));
    svg.setAttribute('data-rendered', 'true');
  }

  function fail(msg) {
    var box = document.getElementById('plot-error');
    if (box) { box.textContent = msg; box.hidden = false; }
  }

  var data;
  try {
    data = JSON.parse(document.getElementById('brook-data').textContent);
  } catch (e) {
    fail('Cannot read the embedded run data: ' + e);
    return;
  }
  var run = {
    samples: Array.isArray(data.samples) ? data.samples : [],
    events: (Array.isArray(data.events) ? data.events : []).map(function (e, i) {
      return {t: e.t, text: String(e.text), i: i};
    }).sort(function (a, b) { return (num(a.t) || 0) - (num(b.t) || 0) || a.i - b.i; })
  };
  var svgs = document.querySelectorAll('svg.plot');
  for (var i = 0; i < svgs.length; i++) {
    var spec = PLOTS[svgs[i].getAttribute('data-plot')];
    try {
      if (!spec) throw new Error('unknown plot ' + svgs[i].getAttribute('data-plot'));
      draw(svgs[i], spec, run);
    } catch (e) {
      fail('Drawing plot ' + svgs[i].id + ' failed: ' + e);
    }
  }
})();
)JS";

struct PlotInfo {
  std::string_view id;
  std::string_view kind;
  std::string_view title;
  std::string_view caption;
};

constexpr PlotInfo kPlots[] = {
    {"plot-replicas", "replicas", "Replicas",
     "Instances the runner wants (step), instances running and ready, and the desired replicas "
     "(median of the instances' recommendations)."},
    {"plot-rates", "rates", "Input vs processed rate",
     "Records/s appended to the input topic and records/s processed by the group."},
    {"plot-lag", "lag", "Total lag",
     "End offsets minus committed offsets over all input partitions."},
    {"plot-stall", "stall", "Longest stall per interval",
     "The longest time any partition went without processing, per sampling interval."},
};

}  // namespace

std::string ToJson(const Run& run) {
  return Dump(RunToJsonValue(run), 2) + "\n";
}

Result<Run> RunFromJson(std::string_view text) {
  try {
    const json j = json::parse(text.begin(), text.end());
    return ParseRun(j);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(fmt::format("run JSON: {}", e.what()));
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("run JSON: {}", e.what()));
  }
}

std::string RenderReportHtml(const Run& run) {
  // Events in time order (stable): their numbers here match the plot markers.
  std::vector<Event> events = run.events;
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.t < b.t; });
  const double duration = run.samples.empty() ? 0 : run.samples.back().t;
  const std::string title = run.title.empty() ? "brook demo" : run.title;

  std::string h;
  h.reserve(16384 + run.samples.size() * 400);
  auto add = [&h](std::string_view s) { h.append(s.data(), s.size()); };

  add("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
  add("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
  add("<meta name=\"generator\" content=\"brook demo report\">\n");
  add("<title>" + EscapeHtml(title) + "</title>\n<style>");
  add(kStyle);
  add("</style>\n</head>\n<body>\n<main>\n");
  add("<h1>" + EscapeHtml(title) + "</h1>\n");
  add("<p class=\"sub\">Started " + EscapeHtml(run.started_at) + " &middot; " +
      std::to_string(run.samples.size()) + " samples over " + FormatClock(duration) + " &middot; " +
      std::to_string(run.events.size()) + " events</p>\n");
  add("<noscript><p class=\"noscript\">The plots are drawn by JavaScript, which is disabled. "
      "The tables below and the run data embedded in this file (the JSON in the element "
      "<code>#brook-data</code>) hold every value.</p></noscript>\n");

  // Summary and profile.
  add("<div class=\"cards\">\n<section class=\"card\">\n<h3>Summary</h3>\n");
  if (run.summary.empty()) {
    add("<p class=\"sub\">No summary.</p>\n");
  } else {
    add("<table class=\"kv\" id=\"summary\">\n");
    for (const auto& [key, value] : run.summary) {
      add("<tr><th>" + EscapeHtml(key) + "</th><td>" + EscapeHtml(value) + "</td></tr>\n");
    }
    add("</table>\n");
  }
  add("</section>\n<section class=\"card\">\n<h3>Load profile</h3>\n");
  if (run.profile.empty()) {
    add("<p class=\"sub\">No profile.</p>\n");
  } else {
    add("<table id=\"profile\">\n<tr><th>Phase</th><th class=\"num\">Rate (records/s)</th>"
        "<th class=\"num\">Duration</th><th class=\"num\">From</th></tr>\n");
    double start = 0;
    for (const Phase& p : run.profile) {
      add("<tr><td>" + EscapeHtml(p.name) + "</td><td class=\"num\">" + FormatNumber(p.rate) +
          "</td><td class=\"num\">" + FormatNumber(p.seconds) + " s</td><td class=\"num\">" +
          FormatClock(start) + "</td></tr>\n");
      start += p.seconds;
    }
    add("</table>\n");
  }
  add("</section>\n</div>\n");

  // Plots.
  add("<h2>Over time</h2>\n<p id=\"plot-error\" class=\"error\" hidden></p>\n");
  for (const PlotInfo& p : kPlots) {
    add(
        fmt::format("<figure>\n<h3>{2}</h3>\n<figcaption>{3}</figcaption>\n"
                    "<svg id=\"{0}\" class=\"plot\" data-plot=\"{1}\" viewBox=\"0 0 960 262\" "
                    "preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"{2}\"></svg>\n"
                    "</figure>\n",
                    p.id, p.kind, EscapeHtml(p.title), EscapeHtml(p.caption)));
  }

  // Events.
  add("<h2>Events</h2>\n");
  if (events.empty()) {
    add("<p class=\"sub\">No events.</p>\n");
  } else {
    add("<table id=\"events\">\n<tr><th class=\"num\">#</th><th class=\"num\">Time</th>"
        "<th>Event</th></tr>\n");
    for (size_t i = 0; i < events.size(); ++i) {
      add(fmt::format("<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                      i + 1, FormatClock(events[i].t), EscapeHtml(events[i].text)));
    }
    add("</table>\n");
  }

  // Every sample, for reading exact values (and without JavaScript).
  add(fmt::format("<details>\n<summary>All samples ({})</summary>\n", run.samples.size()));
  add("<table id=\"samples\">\n<tr><th class=\"num\">Time</th><th>Phase</th>"
      "<th class=\"num\">Replicas</th><th class=\"num\">Running</th>"
      "<th class=\"num\">Desired</th><th class=\"num\">Input/s</th>"
      "<th class=\"num\">Processed/s</th><th class=\"num\">Lag</th>"
      "<th class=\"num\">Rebalances</th><th class=\"num\">Max stall (ms)</th></tr>\n");
  for (const Sample& s : run.samples) {
    add(
        fmt::format("<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>"
                    "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                    "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                    "<td class=\"num\">{}</td></tr>\n",
                    FormatClock(s.t), EscapeHtml(s.phase), s.replicas, s.running,
                    s.desired.has_value() ? std::to_string(*s.desired) : "\u2013",
                    FormatNumber(s.input_rate, 0), FormatNumber(s.processed_rate, 0),
                    FormatNumber(static_cast<double>(s.lag), 0), s.rebalances, s.max_stall_ms));
  }
  add("</table>\n</details>\n");
  add("<footer>Generated by <code>brook demo</code>. This file is self-contained: it needs "
      "no network.</footer>\n</main>\n<div id=\"tip\" class=\"tip\"></div>\n");

  add("<script type=\"application/json\" id=\"brook-data\">");
  add(EmbedJson(RunToJsonValue(run)));
  add("</script>\n<script>");
  add(kScript);
  add("</script>\n</body>\n</html>\n");
  return h;
}

}  // namespace brook::demo

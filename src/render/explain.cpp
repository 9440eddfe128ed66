// explain's figure written out: explain.json (every number), explain.svg (the layout with real
// <text> elements) and explain.html (the same SVG made interactive). explain_scene.cpp lays
// the figure out; explain_png.cpp draws the PNG.
#include "convpool/render/explain.hpp"

#include "convpool/report/html.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

#include "explain_scene.hpp"

namespace convpool {
namespace {

using namespace explain_scene;  // NOLINT(google-build-using-namespace): this file draws its scene

std::string hex(Color c) { return fmt::format("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]); }

std::string num(double v) { return fmt::format("{:.1f}", v); }

/// The figure as SVG; every id starts with `scope` (several figures in one page: no clashes).
std::string svg_of(const Scene& scene, const std::string& scope = {}) {
    std::string s = fmt::format(
        R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="DejaVu Sans, Verdana, sans-serif" role="img" aria-labelledby="{2}explain-title">)"
        "\n",
        scene.width, scene.height, scope);
    s += fmt::format(
        "<title id=\"{}explain-title\">convpool explain: every stage's values, "
        "windows and arithmetic</title>\n",
        scope);
    s += fmt::format(
        "<defs><pattern id=\"{}hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
        "patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" "
        "stroke=\"#8c8c8c\" stroke-width=\"1.5\"/></pattern></defs>\n",
        scope);
    s += fmt::format(R"(<rect x="0" y="0" width="{}" height="{}" fill="{}"/>)"
                     "\n",
                     scene.width, scene.height, hex(kPaper));
    for (const Item& it : scene.items) {
        const std::string stroke =
            it.stroke ? fmt::format(R"( stroke="{}" stroke-width="{}"{})", hex(*it.stroke),
                                    it.stroke_width, it.dashed ? R"( stroke-dasharray="4 3")" : "")
                      : std::string();
        switch (it.kind) {
            case Item::Kind::rect: {
                std::string attrs;
                if (!it.id.empty()) {
                    attrs += fmt::format(R"( id="{}{}")", scope, it.id);
                }
                if (!it.klass.empty()) {
                    attrs += fmt::format(R"( class="{}")", it.klass);
                }
                if (!it.data.empty()) {
                    attrs += " " + it.data;
                }
                const std::string fill = it.fill ? hex(*it.fill) : "none";
                s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"{}{})",
                                 num(it.x), num(it.y), num(it.w), num(it.h), fill, stroke, attrs);
                if (!it.title.empty()) {
                    s += fmt::format("><title>{}</title></rect>\n", html_escape(it.title));
                } else {
                    s += "/>\n";
                }
                if (it.hatched) {
                    s += fmt::format(
                        R"svg(<rect x="{}" y="{}" width="{}" height="{}" fill="url(#{}hatch)" pointer-events="none"/>)svg"
                        "\n",
                        num(it.x), num(it.y), num(it.w), num(it.h), scope);
                }
                break;
            }
            case Item::Kind::line:
                s +=
                    fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}"{} pointer-events="none"/>)"
                                "\n",
                                num(it.x), num(it.y), num(it.w), num(it.h), stroke);
                break;
            case Item::Kind::circle:
                s += fmt::format(
                    R"(<circle cx="{}" cy="{}" r="{}" fill="none"{} class="{}" pointer-events="none"/>)"
                    "\n",
                    num(it.x), num(it.y), num(it.w), stroke, it.klass);
                break;
            case Item::Kind::text:
                s += fmt::format(
                    R"(<text x="{}" y="{}" font-size="{}" fill="{}"{}{} pointer-events="none">{}</text>)"
                    "\n",
                    num(it.x), num(it.y), it.size, hex(it.fill.value_or(kBlack)),
                    it.middle ? R"( text-anchor="middle")" : "",
                    it.bold ? R"( font-weight="bold")" : "", html_escape(it.text));
                break;
        }
    }
    s += "</svg>\n";
    return s;
}

nlohmann::json cell_json(GridCell g) { return nlohmann::json::array({g.y, g.x}); }

nlohmann::json value_json(float v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json stage_json(const ExplainStage& st, std::size_t index) {
    const Shape s = st.values.shape();
    nlohmann::json j;
    j["index"] = index;
    j["text"] = st.text;
    j["kind"] = st.kind;
    j["shape"] = {s.channels, s.height, s.width};
    nlohmann::json values = nlohmann::json::array();
    for (int c = 0; c < s.channels; ++c) {
        nlohmann::json rows = nlohmann::json::array();
        for (int y = 0; y < s.height; ++y) {
            nlohmann::json row = nlohmann::json::array();
            for (int x = 0; x < s.width; ++x) {
                row.push_back(value_json(st.values.at(c, y, x)));
            }
            rows.push_back(row);
        }
        values.push_back(rows);
    }
    j["values"] = values;
    if (st.kernel) {
        nlohmann::json k = nlohmann::json::array();
        for (int y = 0; y < st.kernel->rows; ++y) {
            nlohmann::json row = nlohmann::json::array();
            for (int x = 0; x < st.kernel->cols; ++x) {
                row.push_back(st.kernel->values[flat(y, st.kernel->cols, x)]);
            }
            k.push_back(row);
        }
        j["kernel"] = k;
    }
    if (st.windows.empty()) {
        return j;
    }
    j["padding"] = {{"before", cell_json(st.pad_before)}, {"after", cell_json(st.pad_after)}};
    if (!st.border_rows.empty()) {
        j["border"] = {{"rows", st.border_rows}, {"cols", st.border_cols}};
    }
    nlohmann::json windows = nlohmann::json::array();
    for (const auto& w : st.windows) {
        nlohmann::json wj;
        wj["out"] = cell_json(w.out);
        wj["cells"] = nlohmann::json::array();
        for (const auto& g : w.cells) {
            wj["cells"].push_back(cell_json(g));
        }
        wj["padding"] = nlohmann::json::array();
        for (const auto& g : w.padding) {
            wj["padding"].push_back(cell_json(g));
        }
        if (!w.winners.empty()) {
            wj["winners"] = nlohmann::json::array();
            for (const auto& g : w.winners) {
                wj["winners"].push_back(g ? cell_json(*g) : nlohmann::json(nullptr));
            }
        }
        wj["arithmetic"] = w.arithmetic;
        windows.push_back(wj);
    }
    j["windows"] = windows;
    j["chosen"] = cell_json(st.chosen);
    j["formula"] = st.windows[flat(st.chosen.y, s.width, st.chosen.x)].arithmetic;
    j["unread"] = nlohmann::json::array();
    for (const auto& g : st.unread) {
        j["unread"].push_back(cell_json(g));
    }
    j["dropped"] = st.dropped;
    j["notes"] = st.notes;
    return j;
}

nlohmann::json model_json(const Explanation& e) {
    nlohmann::json j;
    j["pipeline"] = e.pipeline;
    j["source"] = e.source;
    j["colormap"] = colormap_names()[static_cast<std::size_t>(e.colormap)];
    const auto range = value_range(e);
    j["range"] = {range.first, range.second};
    if (e.animation.frames > 0) {
        j["animation"] = {{"positions", e.animation.positions},
                          {"step", e.animation.step},
                          {"frames", e.animation.frames}};
    }
    j["panels"] = nlohmann::json::array();
    for (const auto& p : e.panels) {
        nlohmann::json pj;
        pj["mode"] = p.mode.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.mode);
        pj["pipeline"] = p.pipeline;
        pj["stages"] = nlohmann::json::array();
        for (std::size_t i = 0; i < p.stages.size(); ++i) {
            pj["stages"].push_back(stage_json(p.stages[i], i));
        }
        j["panels"].push_back(pj);
    }
    return j;
}

constexpr const char* kPageScript = R"JS(
(function () {
  // The view around this script: its ids start with its data-prefix (several views, one page).
  var root = document.currentScript.parentNode;
  var scope = root.dataset.prefix || '';
  function byId(id) { return document.getElementById(scope + id); }
  var data = JSON.parse(byId('explain-data').textContent);
  var info = byId('info');
  var marked = [];
  function mark(el, cls) {
    if (el) { el.classList.add(cls); marked.push([el, cls]); }
  }
  function clear() {
    marked.forEach(function (m) { m[0].classList.remove(m[1]); });
    marked = [];
  }
  function cellName(g) { return '(' + g[0] + ', ' + g[1] + ')'; }
  function show(el) {
    var p = +el.dataset.p, s = +el.dataset.s, c = +el.dataset.c;
    var y = +el.dataset.y, x = +el.dataset.x;
    var stage = data.panels[p].stages[s];
    var w = stage.windows[y * stage.shape[2] + x];
    clear();
    mark(el, 'sel');
    var prefix = 'p' + p + 's' + (s - 1) + 'c' + c;
    function cell(g) { return byId(prefix + 'y' + g[0] + 'x' + g[1]); }
    w.cells.forEach(function (g) { mark(cell(g), 'hl'); });
    w.padding.forEach(function (g) { mark(cell(g), 'hl'); });
    var text = stage.text + ' ' + cellName([y, x]) + ': ';
    text += w.arithmetic[c] ? w.arithmetic[c] : 'reads ' + w.cells.length + ' cells';
    if (w.winners && w.winners[c]) {
      mark(cell(w.winners[c]), 'win');
      text += '; winner: input cell ' + cellName(w.winners[c]);
    }
    info.textContent = text;
  }
  var cells = root.querySelectorAll('rect.out');
  cells.forEach(function (el) {
    el.addEventListener('mouseenter', function () { show(el); });
    el.addEventListener('focus', function () { show(el); });
    el.addEventListener('click', function () { el.focus(); show(el); });
    el.addEventListener('keydown', function (ev) {
      var d = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]}[ev.key];
      if (!d) { return; }
      var next = byId('p' + el.dataset.p + 's' + el.dataset.s + 'c' + el.dataset.c + 'y' +
        (+el.dataset.y + d[0]) + 'x' + (+el.dataset.x + d[1]));
      if (next) { next.focus(); show(next); ev.preventDefault(); }
    });
  });
})();
)JS";

/// Every output cell's arithmetic as a list, the figure's text alternative.
std::string arithmetic_list(const Explanation& e) {
    std::string alt;
    for (const auto& p : e.panels) {
        for (std::size_t si = 1; si < p.stages.size(); ++si) {
            const auto& st = p.stages[si];
            for (const auto& w : st.windows) {
                for (std::size_t c = 0; c < w.arithmetic.size(); ++c) {
                    alt += fmt::format(
                        "<li>{}{} {}: {}</li>\n", p.mode.empty() ? "" : p.mode + ": ",
                        html_escape(st.text), cell_name(w.out),
                        html_escape(w.arithmetic[c].empty()
                                        ? fmt::format("{}", st.values.at(static_cast<int>(c),
                                                                         w.out.y, w.out.x))
                                        : w.arithmetic[c]));
                }
            }
        }
    }
    return alt;
}

}  // namespace

std::string explain_json(const Explanation& e) { return model_json(e).dump(1) + "\n"; }

std::string explain_svg(const Explanation& e) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg_of(layout(e));
}

std::string explain_view_style() {
    return R"(.explain-figure { overflow-x: auto; }
.explain-figure svg { max-width: 100%; height: auto; }
.explain-view rect.out { cursor: pointer; }
.explain-view rect.out:focus { outline: none; }
.explain-view rect.hl { stroke: #e66100; stroke-width: 4px; }
.explain-view rect.win { stroke: #000; stroke-width: 6px; }
.explain-view rect.sel { stroke: #e66100; stroke-width: 5px; }
.explain-info { font-size: 1.1em; min-height: 1.5em; padding: 0.4em 0.6em; background: #fff; border: 1px solid #ccc; }
)";
}

std::string explain_view(const Explanation& e, const std::string& scope) {
    std::string data = model_json(e).dump();
    // Inside <script>, "</" could end the element: JSON allows "<\/".
    for (std::size_t i = data.find("</"); i != std::string::npos; i = data.find("</", i + 3)) {
        data.replace(i, 2, "<\\/");
    }
    return fmt::format(
        R"(<div class="explain-view" data-prefix="{0}">
<p class="explain-info" id="{0}info" aria-live="polite">Choose an output cell.</p>
<div class="explain-figure" id="{0}figure">
{1}</div>
<details>
<summary>Every output cell's arithmetic (text alternative)</summary>
<ul>
{2}</ul>
</details>
<script type="application/json" id="{0}explain-data">{3}</script>
<script>{4}</script>
</div>
)",
        scope, svg_of(layout(e), scope), arithmetic_list(e), data, kPageScript);
}

std::string explain_html(const Explanation& e) {
    return fmt::format(
        R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>convpool explain: {0}</title>
<style>
body {{ font-family: "DejaVu Sans", Verdana, sans-serif; margin: 1.5em; color: #111; background: #fafafa; }}
{2}</style>
</head>
<body>
<h1>convpool explain</h1>
<p>Pipeline <code>{0}</code> on {1}. Hover, tap or focus (Tab) an output cell to see the cells its window reads and its arithmetic; the arrow keys step through the positions.</p>
{3}</body>
</html>
)",
        html_escape(e.pipeline), html_escape(e.source), explain_view_style(), explain_view(e, ""));
}

}  // namespace convpool

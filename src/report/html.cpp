#include "convpool/report/html.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/image_probe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

namespace convpool {
namespace fs = std::filesystem;

namespace {

/// Readable on a laptop, printable: one column, pixelated pictures, no external resources.
constexpr const char* kStyle = R"(
:root { color-scheme: light; --ink: #222; --muted: #666; --line: #ddd; --accent: #2a6f97; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; color: var(--ink);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       background: #fff; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-top: 8px; border-top: 2px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
              font-size: 13px; }
.muted { color: var(--muted); }
a { color: var(--accent); }
img { max-width: 100%; height: auto; image-rendering: pixelated; image-rendering: crisp-edges; }
.sheet { display: block; border: 1px solid var(--line); margin: 8px 0; }
.flow { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; margin: 8px 0; }
.flow .box { border: 1px solid var(--line); border-radius: 4px; padding: 2px 8px;
             background: #f6f8fa; }
.flow .op { font-weight: 600; }
.flow .arrow { color: var(--muted); }
.stage { display: grid; grid-template-columns: minmax(0, 1fr) 340px; gap: 16px;
         border-top: 1px solid var(--line); padding: 12px 0; break-inside: avoid; }
.stage figure { margin: 0; }
.stage > details { grid-column: 1 / -1; }  /* the channel table: the stage's whole width */
.stage figcaption { color: var(--muted); font-size: 12px; }
.pics { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start; }
.pics img { border: 1px solid var(--line); max-height: 520px; }
table { border-collapse: collapse; margin: 6px 0; font-size: 12px; }
th, td { border: 1px solid var(--line); padding: 2px 5px; text-align: right; white-space: nowrap; }
th { background: #f6f8fa; white-space: normal; vertical-align: bottom; }
td.stagetext { white-space: normal; min-width: 9em; max-width: 18em; overflow-wrap: anywhere; }
td.l, th.l { text-align: left; }
.scroll { overflow-x: auto; }
.error { color: #b00020; font-weight: 600; }
.warning { color: #8a5300; }
.index { display: flex; flex-wrap: wrap; gap: 12px; }
.index a { display: block; max-width: 100%; text-decoration: none; color: var(--ink);
           border: 1px solid var(--line); padding: 6px; border-radius: 4px; }
.index .pair { display: flex; align-items: center; gap: 6px; min-height: 150px; }
.index img { display: block; max-width: none; object-fit: cover; object-position: left top;
             background: #f6f8fa; }
.index .none { width: 150px; height: 150px; background: #f6f8fa; color: var(--muted);
               display: flex; align-items: center; justify-content: center; font-size: 12px; }
.index .name { font-size: 13px; overflow-wrap: anywhere; }
.index .shapes { font-size: 12px; color: var(--muted); }
svg.hist { display: block; }
svg.hist text { font: 10px system-ui, sans-serif; fill: #444; }
@media (max-width: 800px) { .stage { grid-template-columns: 1fr; } }
@media print {
  body { max-width: none; padding: 0; }
  section.image { break-before: page; }
  section.image:first-of-type { break-before: auto; }
  .pics img { max-height: 360px; }
  a { color: inherit; text-decoration: none; }
}
)";

std::string num(double v) {
    if (std::isnan(v)) {
        return "&ndash;";  // no finite value, or not computed (--stats basic)
    }
    return fmt::format("{:.4g}", v);
}

std::string percent(double v) { return std::isnan(v) ? "nan" : fmt::format("{:.1f}%", 100.0 * v); }

/// URL of `file` (relative to the image's folder) relative to OUT.
std::string image_url(const ImageReport& img, const std::string& out_dir, const std::string& file) {
    const fs::path rel = fs::path(img.output_dir).lexically_relative(fs::path(out_dir));
    const fs::path full = rel.empty() || rel == "." ? fs::path(file) : rel / file;
    return url_path(full.generic_string());
}

bool is_picture(const std::string& file) {
    const auto ends = [&file](const char* ext) {
        return file.size() > 4 && file.compare(file.size() - 4, 4, ext) == 0;
    };
    return ends(".png") || ends(".svg");  // sheet.svg (--sheet-format svg) shows as an image
}

/// Width and height of the PNG picture `file` from its header, or nothing (no such file, not a
/// PNG).
std::optional<std::array<long long, 2>> png_size(const fs::path& file) {
    std::array<unsigned char, 33> head{};  // signature and IHDR: the size
    std::ifstream in(file, std::ios::binary);
    if (!in.read(reinterpret_cast<char*>(head.data()), head.size())) {
        return std::nullopt;
    }
    try {
        const ImageHeader h = probe_image(head);
        if (h.format == ImageFormat::png && h.width > 0 && h.height > 0) {
            return std::array<long long, 2>{h.width, h.height};
        }
    } catch (const Error&) {
        // A damaged picture: the default box (the browser test's decode check reports it).
    }
    return std::nullopt;
}

/// The attributes that show `file` (a picture of `img` at `url`, drawn at `scales[file]` pixels
/// per px, --png-scale) at its 1x size: a srcset whose one candidate is the PNG with its width,
/// and a `sizes` of that width divided by the scale, so the browser takes it as a picture of that
/// density. The page looks the same at every scale and is sharp on HiDPI screens.
std::string one_x_attributes(const ImageReport& img, const std::map<std::string, double>& scales,
                             const std::string& file, const std::string& url) {
    const auto it = scales.find(file);
    if (it == scales.end() || it->second <= 0) {
        return {};
    }
    const auto size = png_size(fs::path(img.output_dir) / file);
    if (!size) {
        return {};
    }
    return fmt::format(R"( srcset="{} {}w" sizes="{}px")", html_escape(url), (*size)[0],
                       std::lround(static_cast<double>((*size)[0]) / it->second));
}

/// An inline SVG bar chart of `h` with a value axis (lo, 0 when inside, hi) and a log count axis.
std::string histogram_svg(const Histogram& h) {
    if (h.counts.empty()) {
        return "<p class=\"muted\">no finite values</p>";
    }
    constexpr double kW = 320;
    constexpr double kH = 150;
    constexpr double kLeft = 44;
    constexpr double kRight = 8;
    constexpr double kTop = 8;
    constexpr double kBottom = 30;
    const double pw = kW - kLeft - kRight;
    const double ph = kH - kTop - kBottom;
    const std::size_t top = *std::max_element(h.counts.begin(), h.counts.end());
    // log10(1 + count): spikes (ReLU zeros, padding) stay readable beside the rest.
    const double ymax = std::max(1.0, std::ceil(std::log10(static_cast<double>(top) + 1.0)));
    const auto y_of = [&](double count) { return kTop + ph - ph * std::log10(count + 1.0) / ymax; };
    std::string svg = fmt::format(
        "<svg class=\"hist\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
        "viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"histogram of values\">",
        kW, kH);
    const double bw = pw / static_cast<double>(h.counts.size());
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
        if (h.counts[i] == 0) {
            continue;
        }
        const double y = y_of(static_cast<double>(h.counts[i]));
        svg += fmt::format(
            "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"#2a6f97\">"
            "<title>{}</title></rect>",
            kLeft + bw * static_cast<double>(i), y, std::max(0.5, bw - 0.5), kTop + ph - y,
            h.counts[i]);
    }
    // Axes and ticks.
    svg += fmt::format(R"(<path d="M{0} {1} V{2} H{3}" stroke="#444" fill="none"/>)", kLeft, kTop,
                       kTop + ph, kLeft + pw);
    for (int e = 0; e <= static_cast<int>(ymax); ++e) {
        const double y = y_of(std::pow(10.0, e) - (e == 0 ? 1.0 : 0.0));
        svg += fmt::format(
            "<line x1=\"{0}\" y1=\"{1:.2f}\" x2=\"{2}\" y2=\"{1:.2f}\" stroke=\"#444\"/>"
            "<text x=\"{3}\" y=\"{4:.2f}\" text-anchor=\"end\">{5}</text>",
            kLeft - 3, y, kLeft, kLeft - 5, y + 3.5,
            e == 0 ? std::string("0")
                   : (e < 4 ? fmt::format("{}", std::lround(std::pow(10.0, e)))
                            : fmt::format("1e{}", e)));
    }
    const auto x_tick = [&](double value, const char* anchor) {
        const double span = h.hi - h.lo;
        const double x = kLeft + (span > 0 ? (value - h.lo) / span * pw : 0.0);
        return fmt::format(
            "<line x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\" stroke=\"#444\"/>"
            "<text x=\"{0:.2f}\" y=\"{3}\" text-anchor=\"{4}\">{5}</text>",
            x, kTop + ph, kTop + ph + 4, kTop + ph + 14, anchor, num(value));
    };
    svg += x_tick(h.lo, "start");
    if (h.hi > h.lo) {
        svg += x_tick(h.hi, "end");
        if (h.lo < 0 && h.hi > 0 && -h.lo > 0.15 * (h.hi - h.lo) && h.hi > 0.15 * (h.hi - h.lo)) {
            svg += x_tick(0.0, "middle");
        }
    }
    svg += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">value ({} bins)</text>"
        "<text x=\"10\" y=\"{}\" transform=\"rotate(-90 10 {})\" text-anchor=\"middle\">count "
        "(log)</text></svg>",
        kLeft + pw / 2, kH - 3, h.counts.size(), kTop + ph / 2, kTop + ph / 2);
    return svg;
}

const char* const kStatsHeader =
    "<th>min</th><th>max</th><th>mean</th><th>std</th><th>zero</th><th>neg</th>"
    "<th>entropy</th><th>p1</th><th>p50</th><th>p99</th><th>non-finite</th>";

std::string stats_cells(const ChannelStats& s) {
    return fmt::format(
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td>",
        num(s.min), num(s.max), num(s.mean), num(s.std), percent(s.zero_fraction),
        percent(s.negative_fraction), num(s.entropy), num(s.p1), num(s.p50), num(s.p99),
        s.nonfinite);
}

/// `text` escaped, with a line-break opportunity after each ',' and '|', so that a long stage
/// wraps at its arguments rather than overflowing its table cell.
std::string breakable(const std::string& text) {
    std::string out;
    for (const char c : text) {
        out += html_escape(std::string(1, c));
        if (c == ',' || c == '|') {
            out += "<wbr>";
        }
    }
    return out;
}

/// The words a screen reader says for the picture of a stage: what it shows, its shape and
/// its value range.
std::string stage_alt(const std::string& input, const StageReport& st) {
    std::string text = st.index == 0 ? fmt::format("{} as read, {}", input, to_string(st.shape))
                                     : fmt::format("{} after stage {} ({}), {}", input, st.index,
                                                   st.op, to_string(st.shape));
    if (!std::isnan(st.overall.min) && !std::isnan(st.overall.max)) {
        text += fmt::format(", values {} to {}", fmt::format("{:.4g}", st.overall.min),
                            fmt::format("{:.4g}", st.overall.max));
    }
    return text;
}

/// The first picture a stage wrote, if any.
const std::string* first_picture(const StageReport& st) {
    for (const auto& f : st.files) {
        if (f.size() > 4 && f.compare(f.size() - 4, 4, ".png") == 0) {
            return &f;
        }
    }
    return nullptr;
}

/// input 3x512x512 -> conv 3x512x512 -> pool:max 3x256x256
std::string flow_html(const ImageReport& img) {
    std::string out = R"(<div class="flow" aria-label="shapes through the pipeline">)";
    for (const auto& st : img.stages) {
        if (st.index > 0) {
            out += "<span class=\"arrow\">&rarr;</span>";
        }
        out += fmt::format(R"(<span class="box"><span class="op">{}</span> <code>{}</code></span>)",
                           html_escape(st.op), html_escape(to_string(st.shape)));
    }
    return out + "</div>";
}

/// The overview table: one row per stage.
std::string summary_table(const ImageReport& img, std::size_t pos) {
    std::string out = fmt::format(
        "<div class=\"scroll\"><table><thead><tr><th>#</th><th class=\"l\">stage</th><th>shape</th>"
        "<th>elements</th><th>vs prev</th><th>vs input</th><th>ms</th>{}</tr></thead><tbody>",
        kStatsHeader);
    for (const auto& st : img.stages) {
        out += fmt::format(
            "<tr><td>{:02}</td><td class=\"l stagetext\"><a href=\"#{}\" "
            "title=\"{}\"><code>{}</code>"
            "</a></td><td>{}</td><td>{}</td><td>{:.4f}</td><td>{:.4f}</td><td>{:.2f}</td>{}</tr>",
            st.index, fmt::format("img{}-s{}", pos, st.index), html_escape(st.stage),
            breakable(st.stage), html_escape(to_string(st.shape)), st.elements(), st.ratio_previous,
            st.ratio_input, st.milliseconds, stats_cells(st.overall));
    }
    return out + "</tbody></table></div>";
}

/// The stage's histogram; with `--stats basic` there is none, though values are finite.
std::string histogram_html(const StageReport& st) {
    if (st.histogram.counts.empty() && st.overall.count > st.overall.nonfinite) {
        return "<p class=\"muted\">no histogram (--stats basic)</p>";
    }
    return histogram_svg(st.histogram);
}

std::string stage_html(const ImageReport& img, std::size_t pos, const StageReport& st,
                       const std::string& out_dir, bool lazy) {
    std::string pics;
    for (const auto& f : st.files) {
        if (!is_picture(f)) {
            continue;
        }
        pics += fmt::format(
            "<figure><a href=\"{0}\"><img src=\"{0}\" alt=\"{1}\"{2}{3}></a><figcaption><code>"
            "{4}</code></figcaption></figure>",
            html_escape(image_url(img, out_dir, f)),
            html_escape(stage_alt(fs::path(img.input).filename().string(), st) +
                        (&f == first_picture(st) ? std::string() : " (" + f + ")")),
            lazy ? " loading=\"lazy\"" : "",
            one_x_attributes(img, st.png_scales, f, image_url(img, out_dir, f)), html_escape(f));
    }
    std::string links;
    for (const auto& f : st.files) {
        if (!is_picture(f)) {
            links += fmt::format(" <a href=\"{}\"><code>{}</code></a>",
                                 html_escape(image_url(img, out_dir, f)), html_escape(f));
        }
    }
    std::string notes;
    for (const auto& n : st.notes) {
        notes += fmt::format("<li>{}</li>", html_escape(n));
    }
    std::string channels;
    if (st.channels.size() > 1) {
        channels = fmt::format(
            "<details{}><summary>{} channels</summary><div class=\"scroll\"><table><thead><tr>"
            "<th>c</th><th>name</th>{}</tr></thead><tbody>",
            st.channels.size() <= 8 ? " open" : "", st.channels.size(), kStatsHeader);
        for (std::size_t c = 0; c < st.channels.size(); ++c) {
            const std::string name =
                c < st.channel_names.size() ? st.channel_names[c] : fmt::format("c{}", c);
            channels += fmt::format("<tr><td>{}</td><td><code>{}</code></td>{}</tr>", c,
                                    html_escape(name), stats_cells(st.channels[c]));
        }
        channels += "</tbody></table></div></details>";
    }
    return fmt::format(
        "<div class=\"stage\" id=\"img{}-s{}\"><div><h3>{:02} <code>{}</code> <span "
        "class=\"muted\">{}</span></h3><div class=\"pics\">{}</div>{}{}</div><div>{}"
        "<div class=\"muted\">{:.2f} ms, {} elements, {:.4g}&times; the previous stage</div>"
        "</div>{}</div>",
        pos, st.index, st.index, html_escape(st.stage), html_escape(to_string(st.shape)), pics,
        links.empty() ? std::string() : "<p>files:" + links + "</p>",
        notes.empty() ? std::string() : "<ul class=\"muted\">" + notes + "</ul>",
        histogram_html(st), st.milliseconds, st.elements(), st.ratio_previous, channels);
}

/// The image-level pictures of `img` (sheet.png): the run's, or for an image skipped with
/// --skip-existing the sheet its earlier run left in its folder.
std::vector<std::string> sheet_files(const ImageReport& img) {
    std::vector<std::string> files;
    for (const auto& f : img.files) {
        if (is_picture(f)) {
            files.push_back(f);
        }
    }
    std::error_code ec;
    if (files.empty() && img.skipped() && !img.output_dir.empty() &&
        fs::is_regular_file(fs::path(img.output_dir) / "sheet.png", ec)) {
        files.emplace_back("sheet.png");
    }
    return files;
}

/// The contact sheet's alternative text: every stage in order, with its shape.
std::string sheet_alt(const ImageReport& img) {
    std::string text = fmt::format("contact sheet of {}:", fs::path(img.input).filename().string());
    for (const auto& st : img.stages) {
        text += fmt::format("{} {} {}", st.index == 0 ? "" : ",", st.op, to_string(st.shape));
    }
    return text;
}

std::string image_html(const ImageReport& img, std::size_t pos, const std::string& out_dir,
                       bool lazy) {
    const std::string status =
        img.skipped() ? "skipped: up to date, from an earlier run" : image_status_name(img.status);
    std::string out = fmt::format(
        "<section class=\"image\" id=\"img{}\"><h2><code>{}</code> <span class=\"muted\">{}</span>"
        "</h2>",
        pos, html_escape(img.input), html_escape(status));
    if (!img.ok()) {
        out += fmt::format("<p class=\"error\">{}</p>", html_escape(img.error));
    }
    for (const auto& w : img.warnings) {
        out += fmt::format("<p class=\"warning\">warning: {}</p>", html_escape(w));
    }
    for (const auto& f : sheet_files(img)) {
        out += fmt::format(R"(<a href="{0}"><img class="sheet" src="{0}" alt="{1}"{2}{3}></a>)",
                           html_escape(image_url(img, out_dir, f)), html_escape(sheet_alt(img)),
                           lazy ? " loading=\"lazy\"" : "",
                           one_x_attributes(img, img.png_scales, f, image_url(img, out_dir, f)));
    }
    // A PDF sheet (--sheet-format pdf) is no image a page can show: a link to it.
    for (const auto& f : img.files) {
        if (f.size() > 4 && f.compare(f.size() - 4, 4, ".pdf") == 0) {
            out += fmt::format(
                R"(<p><a class="pdf" href="{}">{} (PDF, opens outside the page)</a></p>)",
                html_escape(image_url(img, out_dir, f)), html_escape(sheet_alt(img)));
        }
    }
    if (!img.stages.empty()) {
        out += flow_html(img);
        if (!img.html_view.empty()) {
            out += fmt::format(
                "<h3>Windows and arithmetic <span class=\"muted\">(input at most 32x32)</span></h3>"
                "<p class=\"muted\">Hover, tap or focus (Tab) an output cell to see the input "
                "cells its window reads and its arithmetic; the arrow keys step through the "
                "positions.</p>{}",
                img.html_view);
        }
        out += summary_table(img, pos);
        for (const auto& st : img.stages) {
            out += stage_html(img, pos, st, out_dir, lazy);
        }
    }
    return out + "</section>\n";
}

/// The box of an index thumbnail: the picture with its aspect kept, at most kThumbW x kThumbH,
/// small pictures enlarged. A strip is enlarged to kThumbMin px on its shorter side, its longer
/// side up to twice the box; beyond, it is cropped (object-fit: cover).
constexpr double kThumbW = 200;
constexpr double kThumbH = 150;
constexpr double kThumbMin = 72;

std::array<long, 2> thumbnail_box(double w, double h) {
    const double s = std::min(kThumbW / w, kThumbH / h);
    double bw = w * s;
    double bh = h * s;
    if (bh < kThumbMin) {
        bh = kThumbMin;
        bw = std::min(2 * kThumbW, w * kThumbMin / h);
    } else if (bw < kThumbMin) {
        bw = kThumbMin;
        bh = std::min(2 * kThumbH, h * kThumbMin / w);
    }
    return {std::lround(bw), std::lround(bh)};
}

/// One thumbnail of the index: the picture of `st`, or a gray box saying there is none.
std::string thumbnail(const ImageReport& img, const StageReport* st, const std::string& out_dir) {
    const std::string* file = st == nullptr ? nullptr : first_picture(*st);
    if (file == nullptr) {
        return "<span class=\"none\">no picture</span>";
    }
    const auto size = png_size(fs::path(img.output_dir) / *file);
    const auto box =
        size ? thumbnail_box(static_cast<double>((*size)[0]), static_cast<double>((*size)[1]))
             : std::array<long, 2>{150, 150};
    return fmt::format(
        R"(<img src="{}" alt="{}" width="{}" height="{}" style="width: {}px; height: {}px" )"
        R"(loading="lazy">)",
        html_escape(image_url(img, out_dir, *file)),
        html_escape(stage_alt(fs::path(img.input).filename().string(), *st)), box[0], box[1],
        box[0], box[1]);
}

/// The index: per image its input and its last stage side by side, linking to its section.
std::string index_html(const RunReport& report, const std::string& out_dir) {
    std::string out = "<nav><h2>Images</h2><div class=\"index\">";
    for (std::size_t pos = 0; pos < report.images.size(); ++pos) {
        const ImageReport& img = report.images[pos];
        const StageReport* first = img.stages.empty() ? nullptr : &img.stages.front();
        const StageReport* last = img.stages.size() < 2 ? nullptr : &img.stages.back();
        const std::string shapes =
            first == nullptr
                ? std::string()
                : to_string(first->shape) +
                      (last == nullptr ? std::string() : " &rarr; " + to_string(last->shape));
        out += fmt::format(
            R"(<a href="#img{}"><span class="pair">{}{}</span><span class="name">{}{}</span>)"
            R"(<br><span class="shapes">{}</span></a>)",
            pos, thumbnail(img, first, out_dir),
            last == nullptr ? std::string() : thumbnail(img, last, out_dir),
            html_escape(fs::path(img.input).filename().string()),
            img.ok()
                ? std::string()
                : fmt::format(" <span class=\"error\">{}</span>", image_status_name(img.status)),
            shapes);
    }
    return out + "</div></nav>\n";
}

}  // namespace

std::string html_escape(const std::string& text) {
    const std::string shown = utf8_display(text);  // a name that is not UTF-8: U+FFFD for its bytes
    std::string out;
    out.reserve(shown.size());
    for (const char c : shown) {
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
            default: {
                // Control characters other than tab, LF and CR are not allowed in HTML text:
                // shown as \xNN, as on the terminal.
                const auto u = static_cast<unsigned char>(c);
                if ((u < 0x20U && c != '\t' && c != '\n' && c != '\r') || u == 0x7FU) {
                    out += fmt::format("\\x{:02x}", u);
                } else {
                    out += c;
                }
            }
        }
    }
    return out;
}

std::string url_path(const std::string& path) {
    std::string out;
    for (const char c : path) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
            out += c;
        } else {
            out += fmt::format("%{:02X}", u);
        }
    }
    return out;
}

std::string report_html(const RunReport& report, const std::string& out_dir,
                        const std::string& view_style) {
    std::size_t ok = 0;
    std::size_t failed = 0;
    for (const auto& img : report.images) {
        ok += img.ok() ? 1U : 0U;
        failed += img.status == ImageStatus::failed ? 1U : 0U;
    }
    const std::size_t unfinished = report.images.size() - ok - failed;
    std::string out = fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        // Nothing may leave the page: pictures come from beside it, style and script inline.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' "
        "data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
        "<meta name=\"generator\" content=\"convpool {}\">"
        "<title>convpool report: {}</title><style>{}{}</style></head><body>\n"
        "<header><h1>convpool report</h1><p>Pipeline <code>{}</code> "
        "&middot; semantics {} &middot; {} image{}, {} ok, {} failed{} &middot; <a "
        "href=\"report.json\">report.json</a> "
        "&middot; <a href=\"report.csv\">report.csv</a></p>",
        CONVPOOL_VERSION, html_escape(report.pipeline), kStyle, view_style,
        html_escape(report.pipeline), html_escape(report.semantics), report.images.size(),
        report.images.size() == 1 ? "" : "s", ok, failed,
        unfinished > 0 ? fmt::format(", {} not finished", unfinished) : std::string());
    if (!report.stages.empty()) {
        out += "<ol class=\"mono\">";
        for (const auto& s : report.stages) {
            out += fmt::format("<li>{}</li>", html_escape(s));
        }
        out += "</ol>";
    }
    out += "</header>\n";
    if (report.images.size() > 1) {
        out += index_html(report, out_dir);
    }
    for (std::size_t pos = 0; pos < report.images.size(); ++pos) {
        // The first image loads at once; later ones when scrolled to (large batches).
        out += image_html(report.images[pos], pos, out_dir, pos > 0);
    }
    return out + "</body></html>\n";
}

}  // namespace convpool

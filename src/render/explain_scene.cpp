// explain's figure laid out once: panels of stage grids (values, padding, windows, winners), the
// chosen cell's lines under each panel, and one colour bar. explain.cpp writes it as SVG and
// HTML, explain_png.cpp draws it.
#include "explain_scene.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "render/figure.hpp"

namespace convpool::explain_scene {

std::size_t flat(int y, int width, int x) {
    return static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
           static_cast<std::size_t>(x);
}

std::string cell_name(GridCell g) { return fmt::format("({}, {})", g.y, g.x); }

std::pair<float, float> value_range(const Explanation& e) {
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
    for (const auto& p : e.panels) {
        for (const auto& s : p.stages) {
            for (const float v : s.values.data()) {
                if (std::isfinite(v)) {
                    lo = std::min(lo, v);
                    hi = std::max(hi, v);
                }
            }
        }
    }
    if (lo > hi) {
        return {0.0F, 1.0F};
    }
    return {lo, hi};
}

void hatch_lines(const Item& r, std::vector<std::array<double, 4>>& out) {
    const auto n = static_cast<int>((r.w + r.h) / 6);
    for (int k = 1; k <= n; ++k) {
        const double d = 6.0 * k;
        // The line x + y = d in the rectangle's own coordinates, clipped.
        const double x1 = std::max(0.0, d - r.h);
        const double y1 = d - x1;
        const double x2 = std::min(r.w, d);
        const double y2 = d - x2;
        out.push_back({r.x + x1, r.y + y1, r.x + x2, r.y + y2});
    }
}

namespace {

Color fill_of(float v, std::pair<float, float> range, ColorMap map) {
    if (!std::isfinite(v)) {
        return kNonFiniteFill;
    }
    const double span = static_cast<double>(range.second) - static_cast<double>(range.first);
    const double t =
        span > 0 ? (static_cast<double>(v) - static_cast<double>(range.first)) / span : 0.5;
    return colormap_color(map, t);
}

/// Black on light fills, white on dark ones.
Color ink_on(Color fill) {
    const double luma = 0.299 * fill[0] + 0.587 * fill[1] + 0.114 * fill[2];
    return luma > 128 ? kBlack : kWhite;
}

/// A value as printed in a cell: short enough to fit (at most 6 characters where it can).
std::string cell_text(float v) {
    if (std::isnan(v)) {
        return "nan";
    }
    if (std::isinf(v)) {
        return v > 0 ? "inf" : "-inf";
    }
    if (v == std::round(v) && std::fabs(v) < 1e5F) {
        return fmt::format("{}", static_cast<long long>(v));
    }
    std::string s = fmt::format("{}", v);
    if (s.size() <= 5) {
        return s;
    }
    s = fmt::format("{:.3g}", v);
    return s.size() <= 6 ? s : fmt::format("{:.2g}", v);
}

/// The width of `s` as drawn (DejaVu Sans through the figure backend; the SVG names the same
/// font, so a viewer with it places the text where the PNG and PDF have it).
double text_width(std::string_view s, double size, bool bold = false) {
    return figure::backend().text_width(s, figure::Font{size, bold});
}

std::string cell_id(std::size_t panel, std::size_t stage, int c, GridCell g) {
    return fmt::format("p{}s{}c{}y{}x{}", panel, stage, c, g.y, g.x);
}

/// `text` broken into lines of at most `width` px in bold labels, after a `,`, a space or a `|`
/// where it can.
std::vector<std::string> wrap(const std::string& text, double width) {
    std::vector<std::string> lines;
    std::string rest = text;
    while (text_width(rest, kText, true) > width) {
        std::size_t fits = 1;  // the longest prefix that fits, at least one character
        while (fits < rest.size() && text_width(rest.substr(0, fits + 1), kText, true) <= width) {
            ++fits;
        }
        std::size_t cut = rest.find_last_of(", |", fits - 1);
        cut = cut == std::string::npos || cut == 0 ? fits : cut + 1;
        lines.push_back(rest.substr(0, cut));
        rest = rest.substr(cut);
        rest.erase(0, rest.find_first_not_of(' '));
    }
    lines.push_back(rest);
    return lines;
}

/// Every window of `st` reads cells no other window reads.
bool windows_apart(const ExplainStage& st) {
    std::vector<GridCell> seen;
    for (const auto& w : st.windows) {
        for (const auto* list : {&w.cells, &w.padding}) {
            for (const auto& g : *list) {
                if (std::find(seen.begin(), seen.end(), g) != seen.end()) {
                    return false;
                }
                seen.push_back(g);
            }
        }
    }
    return true;
}

/// The stage after `s` in `p` when it reads windows, else nullptr.
const ExplainStage* next_windowed(const ExplainPanel& p, std::size_t s) {
    if (s + 1 < p.stages.size() && !p.stages[s + 1].windows.empty()) {
        return &p.stages[s + 1];
    }
    return nullptr;
}

/// The chosen cell's lines under a panel: its arithmetic, its winner, dropped windows, cells no
/// window reads and the op's notes.
std::vector<std::string> panel_lines(const ExplainPanel& p) {
    std::vector<std::string> lines;
    for (std::size_t s = 1; s < p.stages.size(); ++s) {
        const ExplainStage& st = p.stages[s];
        if (st.windows.empty()) {
            continue;
        }
        if (st.kernel) {
            std::string rows;
            for (int y = 0; y < st.kernel->rows; ++y) {
                const auto first = st.kernel->values.begin() +
                                   static_cast<std::ptrdiff_t>(flat(y, st.kernel->cols, 0));
                rows += fmt::format("{}{}", y == 0 ? "" : "; ",
                                    fmt::join(first, first + st.kernel->cols, " "));
            }
            lines.push_back(fmt::format("{} kernel: [{}]", st.text, rows));
        }
        const auto& w = st.windows[flat(st.chosen.y, st.values.shape().width, st.chosen.x)];
        for (std::size_t c = 0; c < w.arithmetic.size(); ++c) {
            std::string line =
                fmt::format("{} {}{}: {}", st.text, cell_name(st.chosen),
                            w.arithmetic.size() > 1 ? fmt::format(" channel {}", c) : std::string(),
                            w.arithmetic[c].empty()
                                ? std::string("reads ") + std::to_string(w.cells.size()) + " cells"
                                : w.arithmetic[c]);
            if (c < w.winners.size() && w.winners[c]) {
                line += fmt::format("; winner: input cell {}", cell_name(*w.winners[c]));
            }
            lines.push_back(line);
        }
        for (const auto& d : st.dropped) {
            lines.push_back(st.text + ": " + d);
        }
        if (!st.unread.empty()) {
            std::string cells;
            for (const auto& g : st.unread) {
                cells += (cells.empty() ? "" : " ") + cell_name(g);
            }
            lines.push_back(fmt::format("{}: no window reads input cells {}", st.text, cells));
        }
    }
    return lines;
}

/// Where one channel's grid of one stage sits, and the padding ring of the next stage's windows
/// drawn around it.
struct Grid {
    std::size_t panel = 0;
    std::size_t stage = 0;
    int channel = 0;
    double x = 0;    ///< left of the grid, padding included
    double top = 0;  ///< top of the grid, padding included
    GridCell before;
    GridCell after;
    [[nodiscard]] double px(int gx) const { return x + (gx + before.x) * kCell; }
    [[nodiscard]] double py(int gy) const { return top + (gy + before.y) * kCell; }
};

/// Builds the scene panel by panel; each method draws one part.
class Builder {
public:
    Builder(const Explanation& e, const Frame* frame)
        : m_explanation(e), m_frame(frame), m_range(value_range(e)) {}

    Scene build() {
        for (std::size_t pi = 0; pi < m_explanation.panels.size(); ++pi) {
            panel(pi);
        }
        colour_bar();
        double bottom = m_y + 14 + kLine;
        if (m_frame != nullptr && !m_frame->caption.empty()) {
            text(kMargin, bottom + kLine, m_frame->caption, kBlack);
            m_width = std::max(m_width, kMargin * 2 + text_width(m_frame->caption, kText));
            bottom += kLine + 4;
        }
        m_scene.width = std::ceil(m_width);
        m_scene.height = std::ceil(bottom + kMargin);
        return std::move(m_scene);
    }

private:
    const Explanation& m_explanation;
    const Frame* m_frame;
    std::pair<float, float> m_range;
    Scene m_scene;
    double m_y = kMargin;  ///< top of what comes next
    double m_width = 0;

    void text(double x, double y, std::string t, Color fill, bool bold = false) {
        m_scene.items.push_back({.kind = Item::Kind::text,
                                 .x = x,
                                 .y = y,
                                 .fill = fill,
                                 .text = std::move(t),
                                 .bold = bold});
    }

    /// The stage labels wrapped to their grids (at least 160 px wide).
    static std::vector<std::vector<std::string>> stage_labels(const ExplainPanel& p) {
        std::vector<std::vector<std::string>> labels;
        for (std::size_t si = 0; si < p.stages.size(); ++si) {
            const Shape shape = p.stages[si].values.shape();
            const ExplainStage* next = next_windowed(p, si);
            const int cols =
                shape.width + (next != nullptr ? next->pad_before.x + next->pad_after.x : 0);
            labels.push_back(
                wrap(si == 0 ? "input" : p.stages[si].text, std::max(160.0, cols * kCell)));
        }
        return labels;
    }

    void panel(std::size_t pi) {
        const ExplainPanel& p = m_explanation.panels[pi];
        std::string title =
            p.mode.empty() ? p.pipeline : fmt::format("{}:  {}", p.mode, p.pipeline);
        m_width = std::max(m_width, kMargin * 2 + text_width(title, kTitle, true));
        m_scene.items.push_back({.kind = Item::Kind::text,
                                 .x = kMargin,
                                 .y = m_y + kTitle,
                                 .fill = kBlack,
                                 .text = std::move(title),
                                 .size = kTitle,
                                 .bold = true});
        m_y += kTitle + 14;
        const auto labels = stage_labels(p);
        std::size_t label_lines = 1;
        for (const auto& l : labels) {
            label_lines = std::max(label_lines, l.size());
        }
        // Grids aligned below the longest label.
        const double grid_top = m_y + static_cast<double>(label_lines + 1) * kLine + 4;
        double x = kMargin;
        double bottom = m_y;
        for (std::size_t si = 0; si < p.stages.size(); ++si) {
            const double col_w = stage_column(pi, si, labels[si], x, grid_top, bottom);
            if (si + 1 < p.stages.size()) {
                m_scene.items.push_back({.kind = Item::Kind::text,
                                         .x = x + col_w + kGap / 2,
                                         .y = grid_top + kCell / 2 + 6,
                                         .fill = kGray,
                                         .text = "\u2192",
                                         .size = 22,
                                         .middle = true});
            }
            x += col_w + kGap;
        }
        m_width = std::max(m_width, x - kGap + kMargin);
        m_y = bottom + 4;
        for (const auto& line : panel_lines(p)) {
            text(kMargin, m_y + kText, line, kBlack);
            m_width = std::max(m_width, kMargin * 2 + text_width(line, kText));
            m_y += kLine;
        }
        m_y += kLine;
    }

    /// One stage: its label, its size and a grid per channel; returns the column's width and
    /// lowers `bottom` to below its last grid.
    double stage_column(std::size_t pi, std::size_t si, const std::vector<std::string>& labels,
                        double x, double grid_top, double& bottom) {
        const ExplainPanel& p = m_explanation.panels[pi];
        const ExplainStage& st = p.stages[si];
        const Shape shape = st.values.shape();
        const ExplainStage* next = next_windowed(p, si);
        Grid g{.panel = pi, .stage = si, .x = x};
        if (next != nullptr) {
            g.before = next->pad_before;
            g.after = next->pad_after;
        }
        const double grid_h = (shape.height + g.before.y + g.after.y) * kCell;
        const std::string size_label =
            fmt::format("{}x{}x{}", shape.channels, shape.height, shape.width);
        double col_w =
            std::max((shape.width + g.before.x + g.after.x) * kCell, text_width(size_label, kText));
        for (std::size_t li = 0; li < labels.size(); ++li) {
            col_w = std::max(col_w, text_width(labels[li], kText, true));
            text(x, m_y + kText + static_cast<double>(li) * kLine, labels[li], kBlack, true);
        }
        text(x, grid_top - kLine + kText - 8, size_label, kGray);
        double gy = grid_top;
        for (int c = 0; c < shape.channels; ++c) {
            if (shape.channels > 1) {
                text(x, gy + kText, fmt::format("channel {}", c), kGray);
                gy += kLine;
            }
            g.channel = c;
            g.top = gy;
            padding_ring(g, st, next);
            cells(g, st);
            if (next != nullptr) {
                next_windows(g, *next);
            }
            if (!st.windows.empty()) {
                m_scene.items.push_back({.kind = Item::Kind::rect,
                                         .x = g.px(st.chosen.x) + 2,
                                         .y = g.py(st.chosen.y) + 2,
                                         .w = kCell - 4,
                                         .h = kCell - 4,
                                         .stroke = kHighlight,
                                         .stroke_width = 3.5,
                                         .klass = "chosen-cell"});
            }
            gy += grid_h + 12;
        }
        bottom = std::max(bottom, gy);
        return col_w;
    }

    /// The padding ring of the next stage's windows, hatched. Where the next stage reads its
    /// padding from the input (a convolution's border: zero, replicate, reflect), each padding
    /// cell shows the value it reads; pooling's padding has none.
    void padding_ring(const Grid& g, const ExplainStage& st, const ExplainStage* next) {
        const Shape shape = st.values.shape();
        const bool reads = next != nullptr && !next->border_rows.empty();
        for (int yy = -g.before.y; yy < shape.height + g.after.y; ++yy) {
            for (int xx = -g.before.x; xx < shape.width + g.after.x; ++xx) {
                if (yy >= 0 && yy < shape.height && xx >= 0 && xx < shape.width) {
                    continue;
                }
                Item cell{.kind = Item::Kind::rect,
                          .x = g.px(xx),
                          .y = g.py(yy),
                          .w = kCell,
                          .h = kCell,
                          .fill = Color{235, 235, 235},
                          .stroke = Color{190, 190, 190},
                          .hatched = true,
                          .id = cell_id(g.panel, g.stage, g.channel, {yy, xx}),
                          .klass = "pad",
                          .title = fmt::format("padding {}", cell_name({yy, xx}))};
                if (!reads) {
                    m_scene.items.push_back(std::move(cell));
                    continue;
                }
                const int padded_y = yy + g.before.y;
                const int padded_x = xx + g.before.x;
                const int ry = next->border_rows[static_cast<std::size_t>(padded_y)];
                const int rx = next->border_cols[static_cast<std::size_t>(padded_x)];
                const float v = ry < 0 || rx < 0 ? 0.0F : st.values.at(g.channel, ry, rx);
                cell.fill = fill_of(v, m_range, m_explanation.colormap);
                cell.title = ry < 0 || rx < 0
                                 ? fmt::format("padding {}: 0", cell_name({yy, xx}))
                                 : fmt::format("padding {}: {}, the value of {}",
                                               cell_name({yy, xx}), v, cell_name({ry, rx}));
                const Color ink = ink_on(*cell.fill);
                m_scene.items.push_back(std::move(cell));
                value_text(g.px(xx), g.py(yy), v, ink);
            }
        }
    }

    void value_text(double x, double y, float v, Color ink) {
        std::string t = cell_text(v);
        const double size = t.size() > 5 ? 12.0 : 14.0;
        m_scene.items.push_back({.kind = Item::Kind::text,
                                 .x = x + kCell / 2,
                                 .y = y + kCell / 2 + 5,
                                 .fill = ink,
                                 .text = std::move(t),
                                 .size = size,
                                 .middle = true});
    }

    /// The stage's own values, one cell each; output cells of a windowed stage are buttons on
    /// the page.
    void cells(const Grid& g, const ExplainStage& st) {
        const Shape shape = st.values.shape();
        const std::string label = g.stage == 0 ? "input" : st.text;
        const int c = g.channel;
        const bool out = !st.windows.empty();
        const bool animated = m_frame != nullptr &&
                              g.stage == last_windowed(m_explanation.panels[g.panel]) &&
                              g.stage > 0;
        for (int yy = 0; yy < shape.height; ++yy) {
            for (int xx = 0; xx < shape.width; ++xx) {
                if (animated && flat(yy, shape.width, xx) > m_frame->filled) {
                    // Not reached yet in this frame of the animation: an empty cell.
                    m_scene.items.push_back({.kind = Item::Kind::rect,
                                             .x = g.px(xx),
                                             .y = g.py(yy),
                                             .w = kCell,
                                             .h = kCell,
                                             .fill = kWhite,
                                             .stroke = Color{190, 190, 190}});
                    continue;
                }
                const float v = st.values.at(c, yy, xx);
                const Color fill = fill_of(v, m_range, m_explanation.colormap);
                std::string data;
                std::string tip = fmt::format("{} {}: {}", label, cell_name({yy, xx}), v);
                if (out) {
                    const auto& w = st.windows[flat(yy, shape.width, xx)];
                    data = fmt::format(
                        R"(tabindex="0" role="button" data-p="{}" data-s="{}" data-c="{}" data-y="{}" data-x="{}")",
                        g.panel, g.stage, c, yy, xx);
                    const auto ci = static_cast<std::size_t>(c);
                    if (ci < w.arithmetic.size() && !w.arithmetic[ci].empty()) {
                        tip =
                            fmt::format("{} {}: {}", label, cell_name({yy, xx}), w.arithmetic[ci]);
                    }
                }
                m_scene.items.push_back({.kind = Item::Kind::rect,
                                         .x = g.px(xx),
                                         .y = g.py(yy),
                                         .w = kCell,
                                         .h = kCell,
                                         .fill = fill,
                                         .stroke = kWhite,
                                         .id = cell_id(g.panel, g.stage, c, {yy, xx}),
                                         .klass = out ? "cell out" : "cell",
                                         .data = data,
                                         .title = tip});
                value_text(g.px(xx), g.py(yy), v, ink_on(fill));
            }
        }
    }

    /// Over a stage's grid, what the next stage's windows do with it: cells no window reads
    /// crossed out, every window outlined (thin, dashed; only the chosen one where windows
    /// overlap), the chosen window in orange with its winner ringed.
    void next_windows(const Grid& g, const ExplainStage& next) {
        for (const auto& u : next.unread) {
            m_scene.items.push_back({.kind = Item::Kind::line,
                                     .x = g.px(u.x) + 4,
                                     .y = g.py(u.y) + 4,
                                     .w = g.px(u.x) + kCell - 4,
                                     .h = g.py(u.y) + kCell - 4,
                                     .stroke = kGray,
                                     .stroke_width = 1.5});
        }
        const bool apart = windows_apart(next);
        for (const auto& w : next.windows) {
            const bool chosen = w.out == next.chosen;
            if (chosen || apart) {
                window_outline(g, w, chosen);
            }
        }
    }

    void window_outline(const Grid& g, const ExplainWindow& w, bool chosen) {
        int y0 = std::numeric_limits<int>::max();
        int x0 = y0;
        int y1 = std::numeric_limits<int>::min();
        int x1 = y1;
        for (const auto* list : {&w.cells, &w.padding}) {
            for (const auto& t : *list) {
                y0 = std::min(y0, t.y);
                x0 = std::min(x0, t.x);
                y1 = std::max(y1, t.y);
                x1 = std::max(x1, t.x);
            }
        }
        if (y0 > y1) {
            return;
        }
        const double inset = chosen ? 2.0 : 5.0;
        m_scene.items.push_back({.kind = Item::Kind::rect,
                                 .x = g.px(x0) + inset,
                                 .y = g.py(y0) + inset,
                                 .w = (x1 - x0 + 1) * kCell - 2 * inset,
                                 .h = (y1 - y0 + 1) * kCell - 2 * inset,
                                 .stroke = chosen ? kHighlight : Color{60, 60, 60},
                                 .stroke_width = chosen ? 3.5 : 1.0,
                                 .dashed = !chosen,
                                 .klass = chosen ? "chosen-window" : "window"});
        const auto c = static_cast<std::size_t>(g.channel);
        if (!chosen || c >= w.winners.size() || !w.winners[c]) {
            return;
        }
        const GridCell win = *w.winners[c];
        // A black ring inside a white one: visible on every fill.
        for (const auto& [ink, thickness] : {std::pair{kBlack, 4.0}, std::pair{kWhite, 1.5}}) {
            m_scene.items.push_back({.kind = Item::Kind::circle,
                                     .x = g.px(win.x) + kCell / 2,
                                     .y = g.py(win.y) + kCell / 2,
                                     .w = kCell / 2 - 5,
                                     .stroke = ink,
                                     .stroke_width = thickness,
                                     .klass = "winner"});
        }
    }

    /// One colour scale for every stage.
    void colour_bar() {
        const double bar_w = 240;
        constexpr int kSteps = 48;
        for (int i = 0; i < kSteps; ++i) {
            m_scene.items.push_back(
                {.kind = Item::Kind::rect,
                 .x = kMargin + bar_w * i / kSteps,
                 .y = m_y,
                 .w = bar_w / kSteps + 0.5,
                 .h = 14,
                 .fill = colormap_color(m_explanation.colormap, (i + 0.5) / kSteps)});
        }
        text(kMargin, m_y + 14 + kLine - 4, fmt::format("{}", m_range.first), kBlack);
        m_scene.items.push_back({.kind = Item::Kind::text,
                                 .x = kMargin + bar_w,
                                 .y = m_y + 14 + kLine - 4,
                                 .fill = kBlack,
                                 .text = fmt::format("{}", m_range.second),
                                 .middle = true});
        bool reads_border = false;
        for (const auto& p : m_explanation.panels) {
            for (const auto& st : p.stages) {
                reads_border = reads_border || !st.border_rows.empty();
            }
        }
        const std::string legend =
            reads_border ? "one colour scale for every stage; hatched: padding (with the value "
                           "a convolution's border reads)"
                         : "one colour scale for every stage; hatched: padding";
        text(kMargin + bar_w + 40, m_y + 12, legend, kGray);
        m_width = std::max(m_width, kMargin + bar_w + 40 + text_width(legend, kText) + kMargin);
    }
};

}  // namespace

Scene layout(const Explanation& e, const Frame* frame) { return Builder(e, frame).build(); }

std::size_t last_windowed(const ExplainPanel& p) {
    for (std::size_t s = p.stages.size(); s-- > 1;) {
        if (!p.stages[s].windows.empty()) {
            return s;
        }
    }
    return 0;
}

}  // namespace convpool::explain_scene

// The figures' drawing (render/figure.hpp, issue 16): text in DejaVu Sans through the cairo
// plugin, at least 12 px high in the pixels drawn; the contact sheet's and explain's layouts keep
// every label clear of every other label and of every picture; explain.pdf and --png-scale.
#include "convpool/commands/explain.hpp"
#include "convpool/render/explain.hpp"
#include "convpool/render/visualize.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "render/draw.hpp"
#include "render/explain_scene.hpp"
#include "render/figure.hpp"
#include "render/sheet_plan.hpp"

namespace {

using convpool::Picture;
namespace figure = convpool::figure;
namespace canvas = convpool::canvas;

/// The first and last rows of `p` holding ink (a channel below 160), or {-1, -1}.
std::pair<int, int> ink_rows(const Picture& p) {
    int top = -1;
    int bottom = -1;
    for (int y = 0; y < p.height; ++y) {
        for (int x = 0; x < p.width; ++x) {
            const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) +
                                   static_cast<std::size_t>(x)) *
                                  3;
            if (std::min({p.rgb[i], p.rgb[i + 1], p.rgb[i + 2]}) < 160) {
                top = top < 0 ? y : top;
                bottom = y;
                break;
            }
        }
    }
    return {top, bottom};
}

/// A box on a figure, [x0, x1) x [y0, y1).
struct Box {
    double x0 = 0;
    double y0 = 0;
    double x1 = 0;
    double y1 = 0;
    std::string what;
    [[nodiscard]] bool meets(const Box& o) const {
        return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1;
    }
};

/// The box of a line of the pictures' text at (x, baseline): its measured width, the layout's
/// ascent and descent.
Box text_box(const std::string& s, int x, int baseline) {
    return {static_cast<double>(x), static_cast<double>(baseline - canvas::kAscent),
            static_cast<double>(x + canvas::text_width(s)),
            static_cast<double>(baseline + canvas::kDescent), s};
}

/// Fails on any two boxes of `boxes` that meet, and on a box outside w x h.
void check_apart(const std::vector<Box>& boxes, double w, double h) {
    for (std::size_t i = 0; i < boxes.size(); ++i) {
        CAPTURE(boxes[i].what);
        CHECK(boxes[i].x0 >= 0);
        CHECK(boxes[i].y0 >= 0);
        CHECK(boxes[i].x1 <= w);
        CHECK(boxes[i].y1 <= h);
        for (std::size_t j = i + 1; j < boxes.size(); ++j) {
            CAPTURE(boxes[j].what);
            CHECK_FALSE(boxes[i].meets(boxes[j]));
        }
    }
}

Picture solid(int w, int h, std::uint8_t v) {
    return {w, h,
            std::vector<std::uint8_t>(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3,
                                      v)};
}

convpool::Explanation textbook() {
    convpool::ExplainRequest rq;
    rq.pipeline = "pool:max,k=2";
    rq.values = "[5 6; 7 9]";
    rq.modes = "max,avg";
    return convpool::explain(convpool::explain_input(rq), rq, "--values");
}

}  // namespace

TEST_CASE("figures: the cairo plugin draws them when it is built") {
#ifdef CONVPOOL_HAVE_CAIRO
    CHECK(figure::backend().name().rfind("cairo ", 0) == 0);
    CHECK(figure::backend().pdf(10, 10, {255, 255, 255}) != nullptr);
#endif
    CHECK(figure::hershey_backend().name() == "hershey");
    CHECK(figure::hershey_backend().pdf(10, 10, {255, 255, 255}) == nullptr);
}

TEST_CASE(
    "figures: a line of label text is at least 12 px high in the pixels drawn, inside the "
    "layout's ascent and descent, with either backend") {
    for (const figure::Backend* b : {&figure::backend(), &figure::hershey_backend()}) {
        CAPTURE(b->name());
        for (const std::string s : {"Hg", "pool:max,k=2", "R:sobel-x (3x128x128)"}) {
            CAPTURE(s);
            Picture p = solid(400, 60, 255);
            constexpr int kBaseline = 30;
            b->draw_text(p.rgb.data(), p.width, p.height, 5, kBaseline, s,
                         figure::Font{canvas::kTextPx}, {0, 0, 0});
            const auto [top, bottom] = ink_rows(p);
            CHECK(bottom - top + 1 >= 12);
            CHECK(top >= kBaseline - canvas::kAscent);
            CHECK(bottom < kBaseline + canvas::kDescent);
        }
        // Widths are measured: a longer text is wider, and the drawing stays within it.
        CHECK(b->text_width("pool:max,k=2", figure::Font{canvas::kTextPx}) >
              b->text_width("pool", figure::Font{canvas::kTextPx}));
    }
}

TEST_CASE("figures: text that is not UTF-8 (a file name's bytes) is drawn, and what follows too") {
    const figure::Font font{canvas::kTextPx};
    const double abc = figure::backend().text_width("abc", font);
    CHECK(abc > 10.0);
    CHECK(figure::backend().text_width("a\xff\xc3(b", font) > 0.0);
    CHECK(figure::backend().text_width("abc", font) == abc);
    Picture bad = solid(100, 30, 255);
    figure::backend().draw_text(bad.rgb.data(), bad.width, bad.height, 2, 20, "\xfe\xed", font,
                                {0, 0, 0});
    CHECK(ink_rows(bad).first >= 0);  // drawn as "??"
    Picture good = solid(100, 30, 255);
    figure::backend().draw_text(good.rgb.data(), good.width, good.height, 2, 20, "Hg", font,
                                {0, 0, 0});
    CHECK(ink_rows(good).second - ink_rows(good).first + 1 >= 12);
}

TEST_CASE("figures: a raster canvas draws text and shapes at any scale") {
    for (const double scale : {1.0, 2.0}) {
        CAPTURE(scale);
        const auto c = figure::backend().raster(100, 40, scale, {255, 255, 255});
        c->fill_rect(10, 10, 20, 10, {255, 0, 0});
        c->text(40, 30, "9", figure::Font{20.0}, {0, 0, 0});
        const std::vector<std::uint8_t> px = c->finish();
        const int w = figure::scaled(100, scale);
        REQUIRE(px.size() == static_cast<std::size_t>(w) *
                                 static_cast<std::size_t>(figure::scaled(40, scale)) * 3);
        const auto at = [&](double x, double y) {
            const std::size_t i =
                (static_cast<std::size_t>(y * scale) * static_cast<std::size_t>(w) +
                 static_cast<std::size_t>(x * scale)) *
                3;
            return std::vector<std::uint8_t>{px[i], px[i + 1], px[i + 2]};
        };
        CHECK(at(20, 15) == std::vector<std::uint8_t>{255, 0, 0});
        CHECK(at(5, 5) == std::vector<std::uint8_t>{255, 255, 255});
    }
}

TEST_CASE("sheet: no label meets another label, a colour bar or a picture") {
    std::vector<convpool::SheetItem> items;
    const std::vector<std::pair<int, int>> sizes{{64, 64}, {32, 32}, {300, 20}, {16, 64}, {8, 8}};
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        convpool::SheetItem item{
            .body = solid(sizes[i].first, sizes[i].second, 90),
            .label = "0" + std::to_string(i) +
                     " bank:sobel-x,sobel-y,gabor(theta=45),dog | relu | pool:max,k=2,s=2",
            .sublabel = "3x256x256  -0.1234..12345.6",
            .detail = i % 2 == 0 ? "R:sobel-x R:sobel-y G:sobel-x G:sobel-y" : "",
            .cells_per_px = 1.0 + static_cast<double>(i)};
        if (i != 2) {
            item.bar.colours.assign(256, {10, 200, 30});
            item.bar.lo = "-0.1234";
            item.bar.hi = "12345.6";
        }
        items.push_back(std::move(item));
    }
    for (const bool true_scale : {false, true}) {
        for (const int picture_size : {0, 300}) {
            CAPTURE(true_scale);
            CAPTURE(picture_size);
            convpool::RenderOptions o;
            o.display_height = 96;
            o.sheet_true_scale = true_scale;
            o.picture_size = picture_size;
            const auto plan = convpool::sheet::plan(items, o);
            std::vector<Box> boxes;
            for (const auto& p : plan.panels) {
                boxes.push_back({static_cast<double>(p.x), static_cast<double>(p.y),
                                 static_cast<double>(p.x + p.w), static_cast<double>(p.y + p.h),
                                 "picture " + p.item->label});
                if (!p.item->bar.colours.empty()) {
                    boxes.push_back({static_cast<double>(p.x), static_cast<double>(p.bar_y),
                                     static_cast<double>(p.x + p.w),
                                     static_cast<double>(p.bar_y + convpool::sheet::kSheetBar),
                                     "bar " + p.item->label});
                    boxes.push_back(text_box(p.lo, p.x, p.bar_baseline()));
                    boxes.push_back(
                        text_box(p.hi, p.x + p.w - canvas::text_width(p.hi), p.bar_baseline()));
                }
                int baseline = p.first_baseline;
                for (const auto& line : p.lines) {
                    boxes.push_back(text_box(line, p.x, baseline));
                    baseline += canvas::kLine;
                }
            }
            check_apart(boxes, plan.width, plan.height);
            // And the sheet drawn is the plan's size.
            const Picture sheet = convpool::contact_sheet(items, o);
            CHECK(sheet.width == plan.width);
            CHECK(sheet.height == plan.height);
        }
    }
}

TEST_CASE("explain: every text at least 12 px; labels meet no grid cell and no other label") {
    using convpool::explain_scene::Item;
    const auto scene = convpool::explain_scene::layout(textbook());
    std::vector<Box> labels;
    std::vector<Box> cells;
    for (const Item& it : scene.items) {
        if (it.kind == Item::Kind::text) {
            CAPTURE(it.text);
            CHECK(it.size >= 12.0);
            if (!it.middle) {  // a cell's value is centred in its cell; labels are not
                const double w = figure::backend().text_width(it.text, {it.size, it.bold});
                labels.push_back(
                    {it.x, it.y - 0.93 * it.size, it.x + w, it.y + 0.24 * it.size, it.text});
            }
        } else if (it.kind == Item::Kind::rect) {
            cells.push_back({it.x, it.y, it.x + it.w, it.y + it.h, "cell " + it.title});
        }
    }
    check_apart(labels, scene.width, scene.height);
    for (const Box& l : labels) {
        for (const Box& c : cells) {
            CAPTURE(l.what);
            CAPTURE(c.what);
            CHECK_FALSE(l.meets(c));
        }
    }
}

TEST_CASE("explain: --png-scale 2 doubles the picture; explain.pdf is a PDF") {
    const auto e = textbook();
    const Picture one = convpool::explain_picture(e);
    const Picture two = convpool::explain_picture(e, 2.0);
    CHECK(two.width == 2 * one.width);
    CHECK(two.height == 2 * one.height);
    const auto pdf = convpool::explain_pdf(e);
#ifdef CONVPOOL_HAVE_CAIRO
    REQUIRE(pdf.has_value());
    const std::string head(pdf->begin(), pdf->begin() + 5);
    CHECK(head == "%PDF-");
#endif
}

namespace {

/// A switch map's drawing options: taps of a 3x3 window as categories `ty,tx`, over 0..8.
convpool::RenderOptions tap_options() {
    convpool::RenderOptions o;
    o.discrete = convpool::DiscreteValues{};
    for (int ty = 0; ty < 3; ++ty) {
        for (int tx = 0; tx < 3; ++tx) {
            o.discrete->labels.push_back(std::to_string(ty) + "," + std::to_string(tx));
        }
    }
    o.scale = convpool::ColorScale::global;
    o.range = convpool::ValueRange{0.0F, 8.0F};
    return o;
}

/// True when some pixel of `p` in rows [y0, y1) has colour `c`.
bool has_colour(const Picture& p, const std::array<std::uint8_t, 3>& c, int y0, int y1) {
    for (int y = std::max(0, y0); y < std::min(p.height, y1); ++y) {
        for (int x = 0; x < p.width; ++x) {
            const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) +
                                   static_cast<std::size_t>(x)) *
                                  3;
            if (p.rgb[i] == c[0] && p.rgb[i + 1] == c[1] && p.rgb[i + 2] == c[2]) {
                return true;
            }
        }
    }
    return false;
}

}  // namespace

TEST_CASE("legend: a switch map lists every tap with the colour its cells are drawn in") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const convpool::Tensor taps(convpool::Shape{1, 2, 2}, {0.0F, 3.0F, 8.0F, nan});
    const auto o = tap_options();
    const auto legend = convpool::discrete_legend(taps, o);
    REQUIRE(legend.size() == 10);
    const std::vector<std::string> want{"0,0", "0,1", "0,2", "1,0", "1,1",
                                        "1,2", "2,0", "2,1", "2,2", "none"};
    for (std::size_t i = 0; i < want.size(); ++i) {
        CHECK(legend[i].label == want[i]);
    }
    CHECK(legend[9].colour == canvas::kNonFinite);
    CHECK(legend[0].colour != legend[8].colour);
    // The cell holding 3 (row 0, column 1) is drawn in the colour of the entry "1,0".
    const Picture body = convpool::render_tensor(taps, convpool::PictureKind::feature_maps, o);
    const std::size_t i =
        (static_cast<std::size_t>(body.height / 4) * static_cast<std::size_t>(body.width) +
         static_cast<std::size_t>(3 * body.width / 4)) *
        3;
    CHECK(std::array<std::uint8_t, 3>{body.rgb[i], body.rgb[i + 1], body.rgb[i + 2]} ==
          legend[3].colour);
    // The stage picture draws every swatch under the map, including taps that never won ("1,1").
    const Picture titled =
        convpool::titled_picture(body, "taps", taps, convpool::PictureKind::feature_maps, o);
    const int below = titled.height - 3 * canvas::kLine;
    CHECK_FALSE(has_colour(body, legend[4].colour, 0, body.height));
    CHECK(has_colour(titled, legend[4].colour, below, titled.height));
    // The sheet's bar is the same legend.
    const auto bar = convpool::colour_bar(taps, convpool::PictureKind::feature_maps, o);
    REQUIRE(bar.entries.size() == legend.size());
    CHECK(bar.colours.size() == legend.size());
    CHECK(bar.lo.empty());
    CHECK(bar.hi.empty());
}

TEST_CASE("legend: counts list the values held; fractions, too many values or no request: a bar") {
    const convpool::Tensor counts(convpool::Shape{1, 2, 3}, {0.0F, 1.0F, 2.0F, 4.0F, 1.0F, 2.0F});
    convpool::RenderOptions o;
    o.discrete = convpool::DiscreteValues{};
    const auto legend = convpool::discrete_legend(counts, o);
    REQUIRE(legend.size() == 4);
    CHECK(legend[0].label == "0");
    CHECK(legend[1].label == "1");
    CHECK(legend[2].label == "2");
    CHECK(legend[3].label == "4");
    CHECK(convpool::discrete_legend(counts, convpool::RenderOptions{}).empty());
    const convpool::Tensor half(convpool::Shape{1, 1, 2}, {0.0F, 0.5F});
    CHECK(convpool::discrete_legend(half, o).empty());
    std::vector<float> many(40);
    for (std::size_t k = 0; k < many.size(); ++k) {
        many[k] = static_cast<float>(k);
    }
    const convpool::Tensor wide(convpool::Shape{1, 1, 40}, many);
    CHECK(convpool::discrete_legend(wide, o).empty());
    CHECK(convpool::colour_bar(wide, convpool::PictureKind::feature_maps, o).colours.size() == 256);
}

TEST_CASE("sheet: a discrete legend's labels are <text> under their swatches, apart") {
    const convpool::Tensor taps(convpool::Shape{1, 3, 3},
                                {0.0F, 1.0F, 2.0F, 3.0F, 4.0F, 5.0F, 6.0F, 7.0F, 8.0F});
    convpool::RenderOptions o = tap_options();
    o.sheet_format = convpool::SheetFormat::svg;
    const std::vector<convpool::SheetItem> items{
        {.body = convpool::render_tensor(taps, convpool::PictureKind::feature_maps, o),
         .label = "01 switches",
         .sublabel = "1x3x3",
         .bar = convpool::colour_bar(taps, convpool::PictureKind::feature_maps, o)}};
    const auto plan = convpool::sheet::plan(items, o);
    REQUIRE(plan.panels.size() == 1);
    const auto& ticks = plan.panels[0].ticks;
    REQUIRE(ticks.size() == 9);
    std::vector<Box> boxes;
    for (const auto& tick : ticks) {
        const std::string& label = tick.second;
        boxes.push_back(text_box(label, tick.first - canvas::text_width(label) / 2,
                                 plan.panels[0].bar_baseline()));
    }
    check_apart(boxes, plan.width, plan.height);
    const auto file = convpool::sheet_file(items, o);
    for (const auto& tick : ticks) {
        CAPTURE(tick.second);
        CHECK(file.bytes.find("text-anchor=\"middle\">" + tick.second + "</text>") !=
              std::string::npos);
    }
}

TEST_CASE("sheet: tile labels kept apart are left out of a panel that shrinks the picture") {
    convpool::RenderOptions o;
    o.text_apart = true;
    o.channel_names = {"R:sobel-x", "R:sobel-y"};
    const convpool::Tensor t(convpool::Shape{2, 8, 8}, std::vector<float>(128, 1.0F));
    const Picture body = convpool::render_tensor(t, convpool::PictureKind::feature_maps, o);
    REQUIRE(body.text.size() == 2);
    CHECK(body.text[0].s == "R:sobel-x");
    Picture bare = body;
    bare.text.clear();
    for (const int height : {body.height / 2, body.height}) {
        CAPTURE(height);
        convpool::RenderOptions sheet;
        sheet.display_height = height;
        const auto with = convpool::contact_sheet({{.body = body, .label = "01 bank"}}, sheet);
        const auto without = convpool::contact_sheet({{.body = bare, .label = "01 bank"}}, sheet);
        // Shrunk, the labels would be under 12 px: left out. At full size they are drawn.
        CHECK((with.rgb == without.rgb) == (height < body.height));
    }
}

TEST_CASE("explain_view: every id starts with its scope, the hatching refers to its own pattern") {
    convpool::ExplainRequest rq;
    rq.pipeline = "pool:max,k=2,s=2,pad=1";  // padding: hatched cells
    rq.values = "[1 3 2; 5 6 7; 0 2 4]";
    const convpool::Explanation e = convpool::explain(convpool::explain_input(rq), rq, "--values");
    for (const std::string scope : {"", "v3-"}) {
        CAPTURE(scope);
        const std::string view = convpool::explain_view(e, scope);
        CHECK(view.rfind("<div class=\"explain-view\" data-prefix=\"" + scope + "\">", 0) == 0);
        std::size_t ids = 0;
        for (auto at = view.find(" id=\""); at != std::string::npos;
             at = view.find(" id=\"", at + 1)) {
            ++ids;
            CHECK(view.compare(at + 5, scope.size(), scope) == 0);
        }
        CHECK(ids > 8);  // the info line, the figure, the data and every grid cell
        CHECK(view.find("id=\"" + scope + "p0s1c0y0x0\"") != std::string::npos);
        CHECK(view.find("id=\"" + scope + "hatch\"") != std::string::npos);
        CHECK(view.find("url(#" + scope + "hatch)") != std::string::npos);
        // The highlight rules of the view's page style are for the classes the script sets.
        CHECK(convpool::explain_view_style().find(".explain-view rect.hl") != std::string::npos);
    }
    // explain.html holds the same view, unscoped.
    CHECK(convpool::explain_html(e).find(convpool::explain_view(e, "")) != std::string::npos);
}

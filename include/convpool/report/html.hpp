#pragma once
/// \file html.hpp
/// The HTML report: one self-contained page, OUT/index.html, showing every image of a run.
/// Nothing comes from the network (a Content-Security-Policy forbids every request); pictures are
/// referenced relative to OUT (they are the files the run wrote), histograms are inline SVG, and
/// the only script is that of the images' explain views (ImageReport::html_view), inline.

#include "convpool/report/report.hpp"

#include <string>

namespace convpool {

/// `text` with `& < > " '` replaced by entities, for HTML text and quoted attributes.
[[nodiscard]] std::string html_escape(const std::string& text);

/// `path` (relative, '/'-separated) as a URL path: every byte outside the unreserved set and
/// '/' is percent-encoded, so that spaces, '#', '?' and non-ASCII names stay file names.
[[nodiscard]] std::string url_path(const std::string& path);

/// The page for `report`, whose outputs lie below `out_dir`: per image the contact sheet, the
/// flow of shapes, every stage's pictures, an SVG histogram and statistics tables; an index of
/// thumbnails when the run has more than one image; an image's `html_view` under its flow of
/// shapes, with `view_style` added to the page's style.
[[nodiscard]] std::string report_html(const RunReport& report, const std::string& out_dir,
                                      const std::string& view_style = {});

}  // namespace convpool

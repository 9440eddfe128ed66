#pragma once
/// \file html.hpp
/// The HTML report: one self-contained page, OUT/index.html, showing every image of a run.
/// No script, font or style sheet comes from the network; pictures are referenced relative to
/// OUT (they are the files the run wrote), histograms are inline SVG.

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
/// thumbnails when the run has more than one image.
[[nodiscard]] std::string report_html(const RunReport& report, const std::string& out_dir);

}  // namespace convpool

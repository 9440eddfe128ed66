#include "cli/kernel.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/npy.hpp"
#include "convpool/io/npz.hpp"
#include "convpool/io/terminal.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace convpool::cli {
namespace {

/// The kernels `bank:SPEC` filters with (SPEC may start with `bank:` itself).
Op::Kernels spec_kernels(std::string_view spec) {
    const std::string text =
        spec.starts_with("bank:") ? std::string(spec) : "bank:" + std::string(spec);
    if (spec.find('|') != std::string_view::npos) {
        throw UsageError(fmt::format(
            "kernel: '{}': give filters, gabor(theta=45) or bank:sobel-x,dog, not a pipeline",
            spec));
    }
    const Pipeline pipeline(text, Semantics::torch, {}, weights_context());
    auto kernels = pipeline.stages().front().op->kernels();
    if (!kernels) {
        throw UsageError(fmt::format("kernel: '{}' has no kernels", spec));
    }
    return std::move(*kernels);
}

std::string table(const std::string& name, const Matrix& m) {
    std::vector<std::string> cells;
    std::size_t width = 1;
    double sum = 0.0;
    for (const float v : m.values) {
        cells.push_back(fmt::format("{:.6g}", v));
        width = std::max(width, cells.back().size());
        sum += static_cast<double>(v);
    }
    std::string out = fmt::format("{}  {}x{}  sum {:.6g}\n", name, m.rows, m.cols, sum);
    std::size_t at = 0;
    for (int y = 0; y < m.rows; ++y) {
        for (int x = 0; x < m.cols; ++x) {
            out += fmt::format("{}{:>{}}", x == 0 ? "  " : " ", cells[at++], width);
        }
        out += "\n";
    }
    return out;
}

/// Every kernel of `k` as a table, a blank line between them.
std::string tables(const Op::Kernels& k) {
    std::string out;
    for (std::size_t i = 0; i < k.kernels.size(); ++i) {
        out += (i == 0 ? "" : "\n") + table(terminal_text(k.names[i]), k.kernels[i]);
    }
    return out;
}

}  // namespace

std::string kernel_text(std::string_view spec) { return tables(spec_kernels(spec)); }

int kernel_command(const KernelArgs& args) {
    const Op::Kernels k = spec_kernels(args.spec);
    if (!args.npy.empty()) {
        const Matrix& first = k.kernels.front();
        std::vector<float> values;
        for (std::size_t i = 0; i < k.kernels.size(); ++i) {
            const Matrix& m = k.kernels[i];
            if (m.rows != first.rows || m.cols != first.cols) {
                throw UsageError(fmt::format(
                    "kernel: --npy: '{}' is {}x{} and '{}' {}x{}; one .npy holds kernels of one "
                    "size",
                    k.names.front(), first.rows, first.cols, k.names[i], m.rows, m.cols));
            }
            values.insert(values.end(), m.values.begin(), m.values.end());
        }
        std::vector<std::size_t> shape{static_cast<std::size_t>(first.rows),
                                       static_cast<std::size_t>(first.cols)};
        if (k.kernels.size() > 1) {
            shape.insert(shape.begin(), k.kernels.size());
        }
        const std::string bytes = encode_npy_array(shape, values);
        write_file_atomic(args.npy, bytes);
    }
    write_stdout(tables(k));
    return 0;
}

}  // namespace convpool::cli

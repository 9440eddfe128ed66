// The Python module's native part, convpool._convpool (pybind11): a pipeline on an image held in
// memory or in a file, through run_image_stages (commands/run_core.hpp), the code path of
// `convpool run`. python/convpool/__init__.py is the public face (convpool.run, Result).
// The GIL is released while an image is decoded, run and drawn.

#include "convpool/commands/run_core.hpp"
#include "convpool/core/error.hpp"
#include "convpool/core/params.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/npy.hpp"
#include "convpool/io/npz.hpp"
#include "convpool/pipeline/registry.hpp"
#include "convpool/render/visualize.hpp"
#include "convpool/report/report.hpp"

#include <fmt/format.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cli/ops_help.hpp"
#include "cli/shape.hpp"

namespace py = pybind11;

namespace convpool::python {
namespace {

/// One stage's result: its description and its values, owned here so that numpy arrays can
/// view them without a copy.
struct StageOut {
    int index = 0;
    std::string name;         ///< the op (`pool:max`), `input` for the input
    std::string description;  ///< the stage with every parameter (`pool:max,k=2,s=2,...`)
    std::vector<std::pair<std::string, std::string>> params;
    Tensor values;
};

/// What a run gives Python: every stage, the report as report.json holds it, the sheet.
struct RunOut {
    std::vector<std::shared_ptr<StageOut>> stages;
    std::string report_json;
    Picture sheet;
};

/// `k=2,s=2,pad=0` (Params::describe) as (key, value) pairs; commas inside brackets,
/// parentheses and quotes stay in the value (`gaussian(k=7,sigma=2)`, `[1 2; 3 4]`).
std::vector<std::pair<std::string, std::string>> split_params(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> out;
    std::string cur;
    int depth = 0;
    bool quoted = false;
    const auto flush = [&] {
        const auto eq = cur.find('=');
        if (!cur.empty()) {
            out.emplace_back(cur.substr(0, eq), eq == std::string::npos ? "" : cur.substr(eq + 1));
        }
        cur.clear();
    };
    for (const char c : text) {
        quoted = c == '"' ? !quoted : quoted;
        depth += !quoted && (c == '(' || c == '[') ? 1 : !quoted && (c == ')' || c == ']') ? -1 : 0;
        if (c == ',' && depth == 0 && !quoted) {
            flush();
        } else {
            cur += c;
        }
    }
    flush();
    return out;
}

/// The pipeline of `text` (`@FILE` reads it from FILE, as `-p @FILE` does).
Pipeline make_pipeline(const std::string& text, const std::string& semantics) {
    ParseContext context = weights_context();
    const std::string source = pipeline_source(text);
    return Pipeline(pipeline_argument(text), parse_semantics(semantics), source,
                    std::move(context));
}

StatsLevel parse_stats(const std::string& name) {
    if (name == "full") {
        return StatsLevel::full;
    }
    if (name == "basic") {
        return StatsLevel::basic;
    }
    if (name == "none") {
        return StatsLevel::none;
    }
    throw UsageError(fmt::format("stats: expected full, basic or none, got '{}'", name));
}

/// Runs `loaded` (named `input` in the report) with every stage kept and drawn. Called with
/// the GIL released: touches no Python object.
RunOut run_loaded(const Pipeline& pipeline, const std::string& text, LoadedImage loaded,
                  const std::string& input, StatsLevel stats) {
    RunOptions options;
    options.stats = stats;
    RunOut out;
    std::vector<SheetItem> sheet;
    ImageReport img;
    img.input = input;
    img.warnings = std::move(loaded.warnings);
    ImageStages run =
        run_image_stages(pipeline, options, std::move(loaded), ImageRunSpec{},
                         [&](const StageView& view, StageReport& st) {
                             auto stage = std::make_shared<StageOut>();
                             const StageResult& r = view.result;
                             stage->index = r.index;
                             stage->name = st.op;
                             stage->description = st.stage;
                             if (r.stage != nullptr) {
                                 stage->params = split_params(r.stage->params.describe());
                             }
                             stage->values = *view.values;
                             out.stages.push_back(std::move(stage));
                             sheet.push_back(sheet_tile(view, st, stage_picture(view, st)));
                         });
    img.stages = std::move(run.stages);
    img.status = ImageStatus::done;
    RunReport report = run_report_head(pipeline, text, stats, {input});
    report.images.push_back(std::move(img));
    out.report_json = report_json(report);
    out.sheet = contact_sheet(sheet, run.render);
    return out;
}

/// The image `path`, decoded in this process; an error names the path as the CLI's does.
LoadedImage load_path(const std::string& path, const std::string& npy_layout) {
    LoadOptions load;
    load.isolate_decoder = false;  // the decoding child is the convpool executable's
    if (!npy_layout.empty()) {
        load.npy_layout = parse_npy_layout(npy_layout).value_or(NpyLayout::automatic);
    }
    try {
        return load_image(path, load);
    } catch (const InputError& e) {
        throw InputError(fmt::format("{}: {}", path, e.what()));
    }
}

/// An H×W×C array of 8 or 16-bit pixels (C-contiguous, RGB order) as decoding the same PNG
/// gives it: values v / 255 or v / 65535, alpha (channel 2 of 2, 4 of 4) dropped.
template <typename T>
LoadedImage pixels_image(const py::array_t<T, py::array::c_style>& array) {
    if (array.ndim() != 3 || array.shape(2) < 1 || array.shape(2) > 4) {
        throw UsageError("an 8 or 16-bit image is H×W or H×W×C with 1 to 4 channels");
    }
    const auto h = static_cast<int>(array.shape(0));
    const auto w = static_cast<int>(array.shape(1));
    const auto c = static_cast<int>(array.shape(2));
    if (h < 1 || w < 1) {
        throw InputError("the array has no pixels");
    }
    if (static_cast<std::size_t>(h) * static_cast<std::size_t>(w) > LoadOptions{}.max_pixels) {
        throw InputError(fmt::format("{}x{} pixels: more than {}", h, w, LoadOptions{}.max_pixels));
    }
    const T* data = array.data();
    const int kept = c <= 2 ? 1 : 3;
    const std::size_t row = static_cast<std::size_t>(w) * static_cast<std::size_t>(c);
    const auto row_of = [data, row](int y) { return data + static_cast<std::size_t>(y) * row; };
    LoadedImage loaded;
    py::gil_scoped_release release;
    if constexpr (sizeof(T) == 1) {
        loaded.tensor = u8_rows_to_tensor(h, w, c, kept, false, row_of);
    } else {
        loaded.tensor = u16_rows_to_tensor(h, w, c, kept, false, row_of);
    }
    // Named as the same pixels decoded from a file are.
    loaded.channel_names =
        kept == 1 ? std::vector<std::string>{"Y"} : std::vector<std::string>{"R", "G", "B"};
    return loaded;
}

/// Runs `loaded` and wraps the result, with the GIL released.
std::shared_ptr<RunOut> run_released(const std::string& pipeline_text, const std::string& semantics,
                                     const std::string& stats,
                                     const std::function<LoadedImage()>& load,
                                     const std::string& input) {
    const StatsLevel level = parse_stats(stats);
    py::gil_scoped_release release;
    const Pipeline pipeline = make_pipeline(pipeline_text, semantics);
    return std::make_shared<RunOut>(run_loaded(pipeline, pipeline_text, load(), input, level));
}

py::dict op_dict(const OpInfo& info) {
    py::list params;
    for (const auto& p : info.params) {
        py::dict d;
        d["name"] = p.name;
        d["type"] = type_name(p);
        d["default"] = p.default_value;
        d["help"] = p.help;
        d["range"] = range_text(p);
        d["choices"] = p.choices;
        d["aliases"] = p.aliases;
        params.append(d);
    }
    py::dict d;
    d["name"] = info.name;
    d["summary"] = info.summary;
    d["details"] = info.details;
    d["example"] = info.example.empty() ? info.name : info.example;
    d["params"] = params;
    return d;
}

/// Python exception classes, by convpool's error types; set by define_errors.
struct ErrorClasses {
    py::object error, usage, input, shape, output;
};
ErrorClasses& error_classes() {
    static ErrorClasses classes;
    return classes;
}

py::object new_error(py::module_& m, const char* name, const py::tuple& bases, ExitCode code,
                     const char* doc) {
    const std::string qualified = std::string("convpool.") + name;
    auto cls = py::reinterpret_steal<py::object>(
        PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr));
    if (!cls) {
        throw py::error_already_set();
    }
    cls.attr("exit_code") = static_cast<int>(code);
    m.attr(name) = cls;
    return cls;
}

void define_errors(py::module_& m) {
    ErrorClasses& c = error_classes();
    const auto value_error = py::reinterpret_borrow<py::object>(PyExc_ValueError);
    const auto os_error = py::reinterpret_borrow<py::object>(PyExc_OSError);
    const auto exception = py::reinterpret_borrow<py::object>(PyExc_Exception);
    c.error = new_error(m, "Error", py::make_tuple(exception), ExitCode::some_failed,
                        "Base class of convpool's errors; exit_code is the CLI's exit status.");
    c.usage = new_error(m, "UsageError", py::make_tuple(c.error, value_error), ExitCode::usage,
                        "Bad pipeline text, parameter or argument (the CLI exits 2).");
    c.input = new_error(m, "InputError", py::make_tuple(c.error, os_error), ExitCode::no_input,
                        "An input could not be read or decoded (the CLI exits 3).");
    c.shape = new_error(m, "ShapeError", py::make_tuple(c.error, value_error), ExitCode::no_input,
                        "Valid parameters that cannot be applied to this input's shape (exit 3).");
    c.output = new_error(m, "OutputError", py::make_tuple(c.error, os_error), ExitCode::output,
                         "An output could not be written (the CLI exits 4).");
    // pybind11 takes a function of std::exception_ptr by value.
    // NOLINTNEXTLINE(performance-unnecessary-value-param)
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) {
                std::rethrow_exception(p);
            }
        } catch (const UsageError& e) {
            PyErr_SetString(error_classes().usage.ptr(), e.what());
        } catch (const InputError& e) {
            PyErr_SetString(error_classes().input.ptr(), e.what());
        } catch (const ShapeError& e) {
            PyErr_SetString(error_classes().shape.ptr(), e.what());
        } catch (const OutputError& e) {
            PyErr_SetString(error_classes().output.ptr(), e.what());
        } catch (const Error& e) {
            PyErr_SetString(error_classes().error.ptr(), e.what());
        }
    });
}

/// A numpy view of `t` (C×H×W float32) kept alive by `owner`.
py::array tensor_view(const Tensor& t, const py::object& owner) {
    const Shape& s = t.shape();
    const auto plane = static_cast<py::ssize_t>(s.height) * s.width;
    return py::array_t<float>({s.channels, s.height, s.width},
                              {static_cast<py::ssize_t>(sizeof(float)) * plane,
                               static_cast<py::ssize_t>(sizeof(float)) * s.width,
                               static_cast<py::ssize_t>(sizeof(float))},
                              t.data().data(), owner);
}

void define_classes(py::module_& m) {
    py::class_<StageOut, std::shared_ptr<StageOut>>(m, "Stage",
                                                    "One stage's output (index 0 is the input).")
        .def_readonly("index", &StageOut::index)
        .def_readonly("name", &StageOut::name, "The op, e.g. 'pool:max' ('input' for the input).")
        .def_readonly("description", &StageOut::description,
                      "The stage with every parameter, as report.json names it.")
        .def_property_readonly(
            "params",
            [](const StageOut& s) {
                py::dict d;
                for (const auto& [k, v] : s.params) {
                    d[py::str(k)] = v;
                }
                return d;
            },
            "The stage's parameters as text, defaults filled in.")
        .def_property_readonly(
            "shape",
            [](const StageOut& s) {
                const Shape& sh = s.values.shape();
                return py::make_tuple(sh.channels, sh.height, sh.width);
            },
            "(C, H, W)")
        .def_property_readonly(
            "values",
            [](const py::object& self) {
                const auto& s = self.cast<const StageOut&>();
                return tensor_view(s.values, self);
            },
            "The values, float32 C×H×W: a view of the stage's memory, no copy.");
    py::class_<RunOut, std::shared_ptr<RunOut>>(m, "_Run")
        .def_readonly("stages", &RunOut::stages)
        .def_readonly("report_json", &RunOut::report_json)
        .def("sheet_png", [](const RunOut& r) { return py::bytes(encode_png(r.sheet)); })
        .def("sheet_rgb", [](const RunOut& r) {
            py::array_t<std::uint8_t> a({r.sheet.height, r.sheet.width, 3});
            std::copy(r.sheet.rgb.begin(), r.sheet.rgb.end(), a.mutable_data());
            return a;
        });
}

/// `name(array, pipeline, semantics, stats, input)`: run() of an 8 or 16-bit H×W×C array.
template <typename T>
void def_run_pixels(py::module_& m, const char* name) {
    m.def(
        name,
        [](const py::array_t<T, py::array::c_style>& a, const std::string& pipeline,
           const std::string& semantics, const std::string& stats, const std::string& input) {
            LoadedImage loaded = pixels_image(a);
            return run_released(
                pipeline, semantics, stats, [&] { return std::move(loaded); }, input);
        },
        py::arg("array"), py::arg("pipeline"), py::arg("semantics"), py::arg("stats"),
        py::arg("input"));
}

}  // namespace
}  // namespace convpool::python

PYBIND11_MODULE(_convpool, m) {
    using namespace convpool;          // NOLINT(google-build-using-namespace)
    using namespace convpool::python;  // NOLINT(google-build-using-namespace)
    m.doc() = "convpool's native part; use the convpool package.";
    define_errors(m);
    define_classes(m);
    m.attr("version") = CONVPOOL_VERSION;
    m.def(
        "run_path",
        [](const std::string& path, const std::string& pipeline, const std::string& semantics,
           const std::string& stats, const std::string& npy_layout) {
            return run_released(
                pipeline, semantics, stats, [&] { return load_path(path, npy_layout); }, path);
        },
        py::arg("path"), py::arg("pipeline"), py::arg("semantics"), py::arg("stats"),
        py::arg("npy_layout"));
    def_run_pixels<std::uint8_t>(m, "run_u8");
    def_run_pixels<std::uint16_t>(m, "run_u16");
    m.def(
        "run_npy",
        [](const py::bytes& npy, const std::string& layout, const std::string& pipeline,
           const std::string& semantics, const std::string& stats, const std::string& input) {
            const std::string bytes = npy;
            const NpyLayout lay = parse_npy_layout(layout).value_or(NpyLayout::automatic);
            return run_released(
                pipeline, semantics, stats,
                [&] {
                    LoadedImage loaded;
                    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
                    loaded.tensor =
                        decode_npy(std::span(data, bytes.size()), lay, 0, &loaded.warnings);
                    return loaded;
                },
                input);
        },
        py::arg("npy"), py::arg("layout"), py::arg("pipeline"), py::arg("semantics"),
        py::arg("stats"), py::arg("input"));
    m.def(
        "shape_json",
        [](const std::string& pipeline, const std::string& size, const std::string& semantics) {
            const Shape in = cli::checked_size(cli::parse_shape(size), LoadOptions{}.max_pixels);
            return cli::shape_text(make_pipeline(pipeline, semantics), in, true,
                                   4 * LoadOptions{}.max_pixels);
        },
        py::arg("pipeline"), py::arg("size"), py::arg("semantics"));
    m.def("ops", [] {
        py::list out;
        for (const OpInfo* info : all_ops()) {
            out.append(op_dict(*info));
        }
        return out;
    });
    m.def("ops_text", &cli::ops_text, py::arg("name") = "");
}

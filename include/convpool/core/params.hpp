#pragma once
/// \file params.hpp
/// Parameter declarations (ParamSpec) and validated parameter sets (Params). A ParamSpec list is
/// the single source of truth for parsing, `convpool ops`, error messages and the report.

#include "convpool/core/model.hpp"

#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace convpool {

/// What kind of value a parameter takes.
enum class ParamType {
    integer,  ///< whole number within [min, max]
    number,   ///< finite real number within [min, max]
    flag,     ///< true/false; a bare `name` means true
    size,     ///< `N` or `HxW`, each within [min, max]
    pad,      ///< `N`, `HxW`, `same` or `valid`
    choice,   ///< one of `choices`
    array,    ///< a 2-D array: `[a b c; d e f]` (rows separated by `;`), `@FILE.npy` or
              ///< `@FILE.npz:KEY`
    list,     ///< one or more of `choices`, as consecutive bare values; an entry may take its
              ///< own arguments in parentheses (`gaussian(k=7,sigma=2)`, see entry_params)
    numbers,  ///< `R` or `RHxRW`: one real number for both axes, or height x width
    values,   ///< a list of numbers `[a b c]`, each within [min, max] (whole numbers when
              ///< `whole`), or a 1-D array `@FILE.npy` / `@FILE.npz:KEY`
    weights,  ///< an N-D array (1 to 4 dimensions) from a weights file only: `@FILE.npy` or
              ///< `@FILE.npz:KEY` (conv's layer weights)
    text,     ///< any text (a layer name), as written, blanks around it trimmed
    model,    ///< a model file, `FILE.onnx` or `@"FILE"`, loaded with ParseContext::load_model
};

/// Height and width (height first, as in PyTorch).
struct Size2 {
    int h = 0;
    int w = 0;
    friend bool operator==(const Size2&, const Size2&) = default;
};

/// Two real numbers, height first (e.g. fractional pooling's `u=0.3x0.7`).
struct Real2 {
    double h = 0.0;
    double w = 0.0;
    friend bool operator==(const Real2&, const Real2&) = default;
};

/// A padding value: explicit cells, or TensorFlow's `same` / `valid` rule.
/// `pad=`: cells on each side (`N`, `HxW`, or `[t l b r]` for top, left, bottom, right as
/// ONNX's pads), or SAME padding with the odd extra cell after (`same`, `same-upper`) or before
/// (`same-lower`), or none (`valid`).
struct Pad {
    enum class Mode { cells, same, same_lower, valid };
    Mode mode = Mode::cells;
    Size2 cells;  ///< top and left (and bottom and right unless `asymmetric`)
    Size2 end;    ///< bottom and right when `asymmetric`
    bool asymmetric = false;
    /// Bottom and right cells.
    [[nodiscard]] Size2 after() const noexcept { return asymmetric ? end : cells; }
};

/// A dense row-major matrix of finite numbers.
struct Matrix {
    int rows = 0;
    int cols = 0;
    std::vector<float> values;
    /// `@PATH` or `@PATH:KEY` (quoted as `@"..."` when needed) for values read from a weights
    /// file, as the stage text writes it; empty for values written inline.
    std::string source;
};

/// A list of finite numbers (ParamType::values).
struct NumberList {
    std::vector<double> values;
    std::string source;  ///< as Matrix::source
};

/// An N-D array of numbers read from a weights file, in C (row-major) order.
struct WeightsArray {
    std::vector<std::size_t> shape;  ///< empty for a 0-D array (one value)
    std::vector<float> values;
    /// As Matrix::source, set when a ParamType::weights parameter reads the array (a loader
    /// leaves it empty).
    std::string source;
};

/// A model file (ParamType::model): the path as written and the model loaded from it.
struct ModelFile {
    std::string source;  ///< as the stage text writes it: `net.onnx`, `@"my net.onnx"`
    std::shared_ptr<const Model> model;
};

/// Reads the weights at `path` (a `.npy` file), or with a non-empty `key` the array `key` of the
/// `.npz` archive at `path`. Throws convpool::Error with a message that names the file.
using WeightsLoader = std::function<WeightsArray(const std::string& path, const std::string& key)>;

/// What parsing needs from outside the pipeline text: how weights files are read (the I/O layer
/// provides it; without one, `@FILE` values are refused) and the folder relative weights paths
/// start from (the `@pipeline` file's folder; empty: the working directory).
struct ParseContext {
    WeightsLoader load;
    std::string base;
    /// How model files are loaded (ParamType::model); without one they are refused.
    ModelLoader load_model;
};

/// Declaration of one parameter of an op.
struct ParamSpec {
    std::string name;
    ParamType type = ParamType::integer;
    std::string default_value;  ///< textual default, parsed like user input; "" = derived/none
    std::string help;
    double min = std::numeric_limits<double>::lowest();
    double max = std::numeric_limits<double>::max();
    std::vector<std::string> choices;  ///< for choice and list
    std::vector<std::string> aliases;  ///< other accepted keys
    bool allow_infinity = false;       ///< number: also accept `inf`
    std::string default_from;          ///< when not given, take this other parameter's value
    bool omit_default = false;         ///< describe() leaves it out while it has its default
    bool whole = false;                ///< values: every element must be a whole number
    /// number: also a list `[a b c]` or a 1-D array `@FILE.npy` (ParamType::values' syntax), one
    /// value per channel; read with Params::per_channel.
    bool per_channel = false;
    /// When the parameter named here is given, the default is `default_when_given_value`
    /// instead of default_value (conv's pad and border take PyTorch's defaults with weights).
    std::string default_when_given;
    std::string default_when_given_value;
    /// list: the arguments entry `CHOICE(...)` takes in parentheses; null (or an empty list for
    /// a choice) means the entry takes none.
    std::vector<ParamSpec> (*entry_params)(std::string_view choice) = nullptr;
    /// pad: any number of cells is allowed (ONNX), not only up to half the kernel (PyTorch).
    bool wide_pad = false;
};

/// One `key=value` or bare `value` argument as written in a stage.
struct Arg {
    std::string key;  ///< empty for a bare value
    std::string value;
};

/// A parsed, validated parameter set of one op. Every declared parameter has a value, given or
/// defaulted, except those whose default is derived (`given()` tells).
class Params {
public:
    using Value =
        std::variant<long long, double, bool, Size2, Pad, std::string, Matrix,
                     std::vector<std::string>, Real2, NumberList, WeightsArray, ModelFile>;

    /// Parses `args` against `specs`; throws UsageError naming `op`, the key and what is allowed.
    /// `@FILE` values are read with `context.load`, relative paths from `context.base`.
    Params(std::string op, const std::vector<ParamSpec>& specs, const std::vector<Arg>& args,
           const ParseContext& context = {});

    [[nodiscard]] const std::string& op() const noexcept { return m_op; }
    /// True when the user wrote this parameter.
    [[nodiscard]] bool given(std::string_view name) const;
    /// True when the parameter has a value (given or defaulted).
    [[nodiscard]] bool has(std::string_view name) const;

    [[nodiscard]] int integer(std::string_view name) const;
    [[nodiscard]] double number(std::string_view name) const;
    [[nodiscard]] bool flag(std::string_view name) const;
    [[nodiscard]] Size2 size(std::string_view name) const;
    [[nodiscard]] Pad pad(std::string_view name) const;
    /// The declaration of parameter `name` (as the semantics left it).
    [[nodiscard]] const ParamSpec& spec(std::string_view name) const;
    [[nodiscard]] const std::string& text(std::string_view name) const;
    [[nodiscard]] const Matrix& matrix(std::string_view name) const;
    /// The entries of a list parameter, each as written in canonical form:
    /// `sobel-x`, `gaussian(k=7,sigma=2)`, `kernel(@k.npy)`.
    [[nodiscard]] const std::vector<std::string>& list(std::string_view name) const;
    /// The arguments of each entry of a list parameter, in list() order: op() is the entry's
    /// choice (`gaussian`), and only the arguments given in its parentheses have values.
    [[nodiscard]] const std::vector<Params>& entries(std::string_view name) const;
    [[nodiscard]] Real2 numbers(std::string_view name) const;
    [[nodiscard]] const NumberList& values(std::string_view name) const;
    /// A `per_channel` number parameter: the list as written, or one value for a number.
    [[nodiscard]] NumberList per_channel(std::string_view name) const;
    [[nodiscard]] const WeightsArray& weights(std::string_view name) const;
    [[nodiscard]] const ModelFile& model(std::string_view name) const;

    /// Every parameter with a value, in declaration order: `k=2,s=2,pad=0,ceil=false`. With
    /// `bare_first`, a first parameter of type choice or list is written without its key, a
    /// list's entries separated by `,` (`sobel-x,gaussian(k=7),k=3,...`), as a stage writes it.
    [[nodiscard]] std::string describe(bool bare_first = false) const;

private:
    [[nodiscard]] const Value& value(std::string_view name) const;
    /// Gives every parameter not written its default (or default_when_given_value, or the value
    /// of default_from).
    void fill_defaults(const ParseContext& context);
    /// Adds one entry (`CHOICE` or `CHOICE(ARGS)`) to the list parameter `spec`: the first one
    /// (marking it given) unless `more`.
    void add_entry(const ParamSpec& spec, std::string_view text, bool more,
                   const ParseContext& context);

    std::string m_op;
    std::vector<ParamSpec> m_specs;
    std::map<std::string, Value, std::less<>> m_values;
    std::vector<std::string> m_given;
    std::map<std::string, std::vector<Params>, std::less<>> m_entries;
};

/// Text of a value as the report and help show it.
[[nodiscard]] std::string format_value(const Params::Value& value);

/// Allowed values of a numeric parameter, as error messages say them: `from 1 to 4096`,
/// `>= 0`, or `any value`.
[[nodiscard]] std::string range_text(const ParamSpec& spec);

/// Name of a parameter type, for help text (`integer`, `N|HxW`, ...).
[[nodiscard]] std::string type_name(const ParamSpec& spec);

/// The candidate closest to `word` by edit distance, case ignored, or "" when none is close.
[[nodiscard]] std::string closest_match(std::string_view word,
                                        const std::vector<std::string>& candidates);

/// Parses a finite real number; throws UsageError("<what>: ...") on anything else.
[[nodiscard]] double parse_number(std::string_view text, std::string_view what);

/// Parses a matrix written as a stage's kernel is (`[1 0 -1; 2 0 -2]` or `[[1, 0], [2, 0]]`, at
/// most 63x63); throws UsageError("<what>: ...") on anything else.
[[nodiscard]] Matrix parse_matrix_text(std::string_view text, std::string_view what);

/// Parses `N` or `HxW` of positive-or-zero integers; throws UsageError on anything else.
[[nodiscard]] Size2 parse_size(std::string_view text, std::string_view what);

/// Splits `text` at each of `seps` that is outside brackets `[ ]`, parentheses `( )` and quoted
/// paths `@"..."` (where `\"` and `\\` are a quote and a backslash). Throws UsageError
/// ("CONTEXT: '(' without ')'", ...) for unbalanced brackets or an unterminated quote.
[[nodiscard]] std::vector<std::string> split_top_level(std::string_view text, std::string_view seps,
                                                       std::string_view context);

/// Splits the arguments of a stage (after its `:`) or of a list entry (inside its parentheses)
/// at top-level `,`; `KEY=VALUE` where the first `=` comes before any `[`, `(` or `@`, else a
/// bare VALUE. Throws UsageError naming `context` for an empty argument or a missing key.
[[nodiscard]] std::vector<Arg> split_args(std::string_view text, std::string_view context);

/// A weights reference `@PATH`, `@PATH:KEY`, `@"PATH"` or `@"PATH":KEY`.
struct WeightsRef {
    std::string path;
    std::string key;  ///< empty for a `.npy` file
};

/// Parses a weights reference; throws UsageError("<what>: ...") for a bad one (an unquoted path
/// holding `,|:()[]` or spaces, an unterminated quote, an empty path or key).
[[nodiscard]] WeightsRef parse_weights_ref(std::string_view text, std::string_view what);

/// The text of a weights reference, parsed back by parse_weights_ref: `@k.npy`, `@w.npz:conv1`,
/// `@"my weights.npy"`.
[[nodiscard]] std::string weights_ref_text(const WeightsRef& ref);

}  // namespace convpool

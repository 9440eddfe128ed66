#pragma once
/// \file params.hpp
/// Parameter declarations (ParamSpec) and validated parameter sets (Params). A ParamSpec list is
/// the single source of truth for parsing, `convpool ops`, error messages and the report.

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
    matrix,   ///< `[a b c; d e f]`, rows separated by `;`
    list,     ///< one or more of `choices`, as consecutive bare values
    numbers,  ///< `R` or `RHxRW`: one real number for both axes, or height x width
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
struct Pad {
    enum class Mode { cells, same, valid };
    Mode mode = Mode::cells;
    Size2 cells;
};

/// A dense row-major matrix of finite numbers.
struct Matrix {
    int rows = 0;
    int cols = 0;
    std::vector<float> values;
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
    using Value = std::variant<long long, double, bool, Size2, Pad, std::string, Matrix,
                               std::vector<std::string>, Real2>;

    /// Parses `args` against `specs`; throws UsageError naming `op`, the key and what is allowed.
    Params(std::string op, const std::vector<ParamSpec>& specs, const std::vector<Arg>& args);

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
    [[nodiscard]] const std::string& text(std::string_view name) const;
    [[nodiscard]] const Matrix& matrix(std::string_view name) const;
    [[nodiscard]] const std::vector<std::string>& list(std::string_view name) const;
    [[nodiscard]] Real2 numbers(std::string_view name) const;

    /// Every parameter with a value, in declaration order: `k=2,s=2,pad=0,ceil=false`.
    [[nodiscard]] std::string describe() const;

private:
    [[nodiscard]] const Value& value(std::string_view name) const;

    std::string m_op;
    std::vector<ParamSpec> m_specs;
    std::map<std::string, Value, std::less<>> m_values;
    std::vector<std::string> m_given;
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

/// Parses `N` or `HxW` of positive-or-zero integers; throws UsageError on anything else.
[[nodiscard]] Size2 parse_size(std::string_view text, std::string_view what);

}  // namespace convpool

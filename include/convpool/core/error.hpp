#pragma once
/// \file error.hpp
/// Exceptions and process exit codes. Errors carry the exit code `main` returns for them.

#include <stdexcept>
#include <string>

namespace convpool {

/// Process exit codes (documented in the README).
enum class ExitCode : int {
    ok = 0,           ///< every input processed, every output written
    some_failed = 1,  ///< at least one input failed, at least one succeeded (also internal errors)
    usage = 2,        ///< bad command line, pipeline text or parameter; nothing written
    no_input = 3,     ///< no input could be processed
    output = 4,       ///< an output could not be written
};

/// Base class of every error convpool reports to the user.
class Error : public std::runtime_error {
public:
    Error(const std::string& message, ExitCode code) : std::runtime_error(message), m_code(code) {}
    [[nodiscard]] ExitCode code() const noexcept { return m_code; }

private:
    ExitCode m_code;
};

/// Bad command line, pipeline text or parameter value (exit 2).
class UsageError : public Error {
public:
    explicit UsageError(const std::string& message) : Error(message, ExitCode::usage) {}
};

/// An input could not be read or decoded (the input counts as failed).
class InputError : public Error {
public:
    explicit InputError(const std::string& message) : Error(message, ExitCode::no_input) {}
};

/// Valid parameters that cannot be applied to this input shape (the input counts as failed;
/// `convpool shape` exits 2 for it).
class ShapeError : public Error {
public:
    explicit ShapeError(const std::string& message) : Error(message, ExitCode::no_input) {}
};

/// An output file could not be written (exit 4).
class OutputError : public Error {
public:
    explicit OutputError(const std::string& message) : Error(message, ExitCode::output) {}
};

/// Thrown when the run was asked to stop (Ctrl-C, a closed stdout) while an image was being
/// processed: that image is neither done nor failed.
struct Stopped {};

}  // namespace convpool

#pragma once
/// \file terminal.hpp
/// The process's side of a batch: Ctrl-C and SIGTERM, a closed stdout, and the progress bar.

#include <chrono>
#include <cstddef>
#include <string_view>

namespace convpool {

/// Installs handlers so that the first SIGINT/SIGTERM asks the batch to stop (a second one ends
/// the process at once), and makes a closed stdout an error result instead of SIGPIPE.
void install_stop_signals();

/// True once SIGINT or SIGTERM arrived.
[[nodiscard]] bool interrupted() noexcept;

/// True once a write to stdout failed (its reader went away, `| head`, or an error below).
[[nodiscard]] bool stdout_closed() noexcept;

/// The errno of a failed write to stdout other than EPIPE (ENOSPC on `> /dev/full`, EIO), or 0:
/// an output error, exit 4.
[[nodiscard]] int stdout_error() noexcept;

/// Writes all of `text` to stdout and flushes; on a closed stdout it writes nothing more and
/// stdout_closed() turns true. Never throws.
void write_stdout(std::string_view text) noexcept;

/// A one-line progress bar on stderr (done/total, rate, ETA), redrawn at most 10 times a second;
/// silent unless enabled (the CLI enables it when stderr is a terminal).
class Progress {
public:
    explicit Progress(bool enabled);
    /// Shows `done` of `total`.
    void update(std::size_t done, std::size_t total);
    /// Clears the line before other text is printed on stderr.
    void clear();

private:
    bool m_enabled;
    bool m_shown = false;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_last;
};

}  // namespace convpool

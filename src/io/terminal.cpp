#include "convpool/io/terminal.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>

namespace convpool {
namespace {

// NOLINTBEGIN(cppcoreguidelines-avoid-non-const-global-variables): set by the signal handler
volatile std::sig_atomic_t g_interrupted = 0;
std::atomic<bool> g_stdout_closed{false};
std::atomic<int> g_stdout_error{0};  // errno of a failed write other than EPIPE
// NOLINTEND(cppcoreguidelines-avoid-non-const-global-variables)

extern "C" void on_stop_signal(int sig) {
    if (g_interrupted != 0) {
        // Second signal: stop now, the way the default action would.
        std::signal(sig, SIG_DFL);
        std::raise(sig);
        return;
    }
    g_interrupted = 1;
}

}  // namespace

void install_stop_signals() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a closed stdout shows up as EPIPE instead
}

bool interrupted() noexcept { return g_interrupted != 0; }

bool stdout_closed() noexcept { return g_stdout_closed.load(); }

int stdout_error() noexcept { return g_stdout_error.load(); }

void write_stdout(std::string_view text) noexcept {
    if (g_stdout_closed.load()) {
        return;
    }
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n < 0 && errno != EPIPE) {
                g_stdout_error = errno;  // ENOSPC, EIO, ...: the output is lost, not unwanted
            }
            g_stdout_closed = true;
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

Progress::Progress(bool enabled)
    : m_enabled(enabled), m_start(std::chrono::steady_clock::now()), m_last(m_start) {}

void Progress::update(std::size_t done, std::size_t total) {
    if (!m_enabled) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (done < total && m_shown && now - m_last < std::chrono::milliseconds(100)) {
        return;
    }
    m_last = now;
    const double seconds = std::chrono::duration<double>(now - m_start).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
    constexpr std::size_t kWidth = 30;
    const std::size_t filled = total == 0 ? kWidth : done * kWidth / total;
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::string eta = "--";
    if (rate > 0 && done < total) {
        const auto left = static_cast<long long>(static_cast<double>(total - done) / rate);
        eta = left >= 3600 ? fmt::format("{}h{:02}m", left / 3600, left / 60 % 60)
                           : fmt::format("{}m{:02}s", left / 60, left % 60);
    }
    fmt::print(stderr, "\r[{}] {}/{} {:.1f} img/s ETA {}   ", bar, done, total, rate, eta);
    std::fflush(stderr);
    m_shown = true;
}

void Progress::clear() {
    if (m_shown) {
        fmt::print(stderr, "\r{:60}\r", "");
        std::fflush(stderr);
        m_shown = false;
    }
}

}  // namespace convpool

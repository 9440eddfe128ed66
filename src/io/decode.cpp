// Decoding image bytes to pixels: in this process, or in a decoding child process that a
// crafted file can crash or hang without taking the run with it (DecoderProcess), and the
// child's own entry point (decode_child_main).
#include "io/decode.hpp"

#include "convpool/core/error.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/image_probe.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string_view>
#include <vector>

#include "io/decoders.hpp"

namespace convpool {
namespace {

constexpr unsigned kDecodeSeconds = 120;  // a decoder that takes longer gives up
constexpr int kMaxJpegScans = 1000;       // a progressive JPEG has about 10

/// `text` with its first letter in lower case, unless it starts an acronym ("JPEG").
std::string lower_first(std::string text) {
    if (text.size() >= 2 && std::isupper(static_cast<unsigned char>(text[0])) != 0 &&
        std::islower(static_cast<unsigned char>(text[1])) != 0) {
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    }
    return text;
}

/// Whether decoder libraries may print to stderr (libpng and libjpeg write there directly).
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): set once by the CLI
std::atomic<bool> g_library_output{false};

/// Points fd 2 at /dev/null for its lifetime unless library output is wanted.
class QuietStderr {
public:
    QuietStderr() {
        if (g_library_output.load()) {
            return;
        }
        std::fflush(stderr);
        m_saved = ::dup(2);
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open(2) is variadic
        const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (m_saved >= 0 && null_fd >= 0) {
            ::dup2(null_fd, 2);
        }
        if (null_fd >= 0) {
            ::close(null_fd);
        }
    }
    ~QuietStderr() {
        if (m_saved >= 0) {
            ::dup2(m_saved, 2);
            ::close(m_saved);
        }
    }
    QuietStderr(const QuietStderr&) = delete;
    QuietStderr& operator=(const QuietStderr&) = delete;
    QuietStderr(QuietStderr&&) = delete;
    QuietStderr& operator=(QuietStderr&&) = delete;

private:
    int m_saved = -1;
};

/// Decodes in this process; *warning gets the decoder's warnings (JPEG and PNG). A decoder that
/// aborts takes the process with it; JPEG and PNG decoding give up after kDecodeSeconds.
cv::Mat decode_here(std::span<const unsigned char> bytes, const ImageHeader& header, bool luminance,
                    std::string* warning) {
    cv::setNumThreads(0);
    cv::Mat mat;
    const decoders::DecodeLimits limits{kDecodeSeconds, kMaxJpegScans};
    try {
        const QuietStderr quiet;
        switch (header.format) {
            case ImageFormat::jpeg:
                mat = decoders::decode_jpeg(bytes, luminance, limits, warning);
                break;
            case ImageFormat::png:
                mat = decoders::decode_png(bytes, limits, warning);
                break;
            default:
                mat = decoders::decode_with_opencv(bytes);
                break;
        }
    } catch (const cv::Exception& e) {
        throw InputError(
            fmt::format("cannot decode {} data: {}", format_name(header.format), e.msg));
    }
    if (mat.empty() && !header.samples_supported) {
        throw InputError(fmt::format(
            "cannot decode {} data: unsupported sample format: {} (OpenCV reads 1 to 4 samples "
            "of 8 or 16 bits or 32-bit float, or one of 64-bit float)",
            format_name(header.format), header.samples));
    }
    if (mat.empty()) {
        throw InputError(fmt::format("cannot decode {} data (corrupt or truncated)",
                                     format_name(header.format)));
    }
    return mat;
}

/// Layout of the shared block a decoding child fills: a small header, then the pixels.
struct ChildResult {
    int status;  ///< 0 ok, 1 decoder failed, 2 decoder threw, 3 result larger than the header said
    int rows;
    int cols;
    int type;
    int luminance;  ///< set by the parent: decode a JPEG to its luminance only
    std::array<char, 256> message;
    std::array<char, 256> warning;  ///< the decoder's warnings, "" when none
};
constexpr std::size_t kChildHeader = 1024;  // >= sizeof(ChildResult), keeps the pixels aligned
static_assert(sizeof(ChildResult) <= kChildHeader);
constexpr int kChildSocketFd = 3;  // where the decoding child finds its socket

/// Writes all of `bytes` to `fd`; false on error.
bool write_all(int fd, std::span<const unsigned char> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

/// Unmaps a mapping when it goes out of scope.
struct Unmapper {
    void* p;
    std::size_t n;
    Unmapper(void* ptr, std::size_t size) : p(ptr), n(size) {}
    Unmapper(const Unmapper&) = delete;
    Unmapper& operator=(const Unmapper&) = delete;
    Unmapper(Unmapper&&) = delete;
    Unmapper& operator=(Unmapper&&) = delete;
    ~Unmapper() { ::munmap(p, n); }
};

/// A one-byte socket message with room for two file descriptors (SCM_RIGHTS).
struct FdMessage {
    char byte = 'd';
    iovec iov{};
    alignas(cmsghdr) std::array<char, CMSG_SPACE(2 * sizeof(int))> control{};
    msghdr msg{};
    FdMessage() {
        iov.iov_base = &byte;
        iov.iov_len = 1;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
    }
    FdMessage(const FdMessage&) = delete;  // points into itself
    FdMessage& operator=(const FdMessage&) = delete;
    FdMessage(FdMessage&&) = delete;
    FdMessage& operator=(FdMessage&&) = delete;
    ~FdMessage() = default;
};

/// Sends the two memfds of a request to the decoding child over its socket.
bool send_request(int sock, int in_fd, int out_fd) {
    FdMessage m;
    cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    const std::array<int, 2> fds{in_fd, out_fd};
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(fds));
    ssize_t n = -1;
    do {
        n = ::sendmsg(sock, &m.msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n == 1;
}

/// Receives a request's two fds; false at the end of the stream (the parent is gone).
bool receive_request(int sock, int& in_fd, int& out_fd) {
    FdMessage m;
    ssize_t n = -1;
    do {
        n = ::recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    const cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
    if (n != 1 || c == nullptr || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(2 * sizeof(int))) {
        return false;
    }
    std::array<int, 2> fds{};
    std::memcpy(fds.data(), CMSG_DATA(c), sizeof(fds));
    in_fd = fds[0];
    out_fd = fds[1];
    return true;
}

/// A decoding child process that serves one image after another, so that a decoder that
/// aborts, crashes or hangs on a crafted file fails that input only, without paying a process
/// start per image. The child is this program started afresh (posix_spawn of /proc/self/exe
/// with kDecodeChildArgument), not a fork: a fork of a process whose other threads hold locks
/// (stdio, OpenCV) could deadlock. Each request passes two memfds over a Unix socket: the
/// encoded bytes, and a block sized from the header (at most 4 channels of 8 bytes per pixel)
/// that the child fills with a ChildResult and the pixels, mapped by both processes. The child
/// answers with one byte; a child that died is waited for, its signal reported, and a new one
/// started for the next image. One per thread that decodes.
class DecoderProcess {
public:
    DecoderProcess() = default;
    DecoderProcess(const DecoderProcess&) = delete;
    DecoderProcess& operator=(const DecoderProcess&) = delete;
    DecoderProcess(DecoderProcess&&) = delete;
    DecoderProcess& operator=(DecoderProcess&&) = delete;
    ~DecoderProcess() { stop(); }

    /// Decodes `bytes` and calls use(mat) with the pixels, which live in memory shared with
    /// the child: valid during the call only.
    void decode(std::span<const unsigned char> bytes, const ImageHeader& header, bool luminance,
                const std::function<bool()>& stop_requested, std::string* warning,
                const std::function<void(const cv::Mat&)>& use) {
        const std::size_t capacity =
            static_cast<std::size_t>(header.width) * static_cast<std::size_t>(header.height) * 32;
        const std::size_t size = kChildHeader + capacity;
        const FdCloser in{::memfd_create("convpool-decode-in", MFD_CLOEXEC)};
        const FdCloser out{::memfd_create("convpool-decode-out", MFD_CLOEXEC)};
        if (in.fd < 0 || out.fd < 0 || !write_all(in.fd, bytes) ||
            ::ftruncate(out.fd, static_cast<off_t>(size)) != 0) {
            throw InputError(fmt::format("cannot prepare the decoder: {}", std::strerror(errno)));
        }
        void* mem =
            ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, out.fd, 0);
        if (mem == MAP_FAILED) {
            throw InputError(
                fmt::format("cannot reserve memory to decode: {}", std::strerror(errno)));
        }
        const Unmapper unmap{mem, size};
        auto* result = static_cast<ChildResult*>(mem);
        result->status = -1;
        result->luminance = luminance ? 1 : 0;
        if (m_pid < 0) {
            start();
        }
        bool sent = send_request(m_sock, in.fd, out.fd);
        if (!sent) {  // the child died while idle (killed from outside): not this file's doing
            (void)stop();
            start();
            sent = send_request(m_sock, in.fd, out.fd);
        }
        if (sent && !await_answer(stop_requested)) {
            // Asked to stop (Ctrl-C): the image is not this file's failure, the child goes.
            ::kill(m_pid, SIGKILL);
            (void)stop();
            throw Stopped{};
        }
        char answer = 0;
        ssize_t n = -1;
        if (sent) {
            do {
                n = ::read(m_sock, &answer, 1);
            } while (n < 0 && errno == EINTR);
        }
        if (n != 1) {
            throw InputError(ended(header));
        }
        if (result->status == 2) {
            result->message.back() = '\0';
            throw InputError(result->message.data());
        }
        if (result->status == 3) {
            throw InputError(fmt::format("{} data decodes to more pixels than its header says",
                                         format_name(header.format)));
        }
        if (result->status != 0) {
            throw InputError(fmt::format("{} decoder gave no result", format_name(header.format)));
        }
        result->warning.back() = '\0';
        *warning = result->warning.data();
        const cv::Mat shared(result->rows, result->cols, result->type,
                             static_cast<unsigned char*>(mem) + kChildHeader);
        use(shared);
    }

private:
    /// Waits until the child answers or ends (true), or stop_requested() (false; polled every
    /// 50 ms).
    bool await_answer(const std::function<bool()>& stop_requested) const {
        pollfd p{m_sock, POLLIN, 0};
        for (;;) {
            const int ready = ::poll(&p, 1, stop_requested ? 50 : -1);
            if (ready != 0 && (ready > 0 || errno != EINTR)) {
                return true;
            }
            if (stop_requested && stop_requested()) {
                return false;
            }
        }
    }

    void start() {
        std::array<int, 2> pair{-1, -1};
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair.data()) != 0) {
            throw InputError(fmt::format("cannot start decoder: {}", std::strerror(errno)));
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, pair[1], kChildSocketFd);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        if (!g_library_output.load()) {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        }
        std::string arg0 = "convpool";
        std::string arg1 = kDecodeChildArgument;
        std::array<char*, 3> argv{arg0.data(), arg1.data(), nullptr};
        // A process group of its own: the terminal's SIGINT (Ctrl-C) reaches this process only,
        // which stops the child itself. It still dies with this process (PR_SET_PDEATHSIG in
        // decode_child_main, and the socket closing).
        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attributes, 0);
        pid_t pid = -1;
        const int spawned =
            ::posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, argv.data(), environ);
        posix_spawnattr_destroy(&attributes);
        posix_spawn_file_actions_destroy(&actions);
        ::close(pair[1]);
        if (spawned != 0) {
            ::close(pair[0]);
            throw InputError(fmt::format("cannot start decoder: {}", std::strerror(spawned)));
        }
        m_pid = pid;
        m_sock = pair[0];
    }

    /// Closes the socket (the child then ends) and waits for the child; its wait status.
    int stop() noexcept {
        int wstatus = 0;
        if (m_sock >= 0) {
            ::close(m_sock);
            m_sock = -1;
        }
        if (m_pid > 0) {
            while (::waitpid(m_pid, &wstatus, 0) < 0 && errno == EINTR) {
            }
            m_pid = -1;
        }
        return wstatus;
    }

    /// Why the child ended without answering; a new one starts for the next image.
    std::string ended(const ImageHeader& header) noexcept {
        const int wstatus = stop();
        if (WIFSIGNALED(wstatus)) {
            const int sig = WTERMSIG(wstatus);
            if (sig == SIGALRM) {
                return fmt::format("{} decoder took more than {} s; gave up",
                                   format_name(header.format), kDecodeSeconds);
            }
            return fmt::format("{} decoder crashed on this file ({})", format_name(header.format),
                               strsignal(sig));
        }
        return fmt::format("{} decoder ended without a result (exit {})",
                           format_name(header.format),
                           WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    }

    pid_t m_pid = -1;
    int m_sock = -1;
};

/// Decodes in this thread's decoding child (started on first use); see DecoderProcess::decode.
void decode_in_child(std::span<const unsigned char> bytes, const ImageHeader& header,
                     const LoadOptions& options, std::string* warning,
                     const std::function<void(const cv::Mat&)>& use) {
    thread_local DecoderProcess decoder;
    decoder.decode(bytes, header, options.luminance, options.stop_requested, warning, use);
}

}  // namespace

void check_pixels(long long h, long long w, const LoadOptions& options) {
    if (h <= 0 || w <= 0) {
        throw InputError(fmt::format("image is empty ({}x{})", h, w));
    }
    if (static_cast<unsigned long long>(h) * static_cast<unsigned long long>(w) >
        options.max_pixels) {
        throw InputError(fmt::format("image is too large: {}x{} is more than {} pixels", h, w,
                                     options.max_pixels));
    }
}

/// Decodes image bytes whose header is `header` (not .npy) and calls use(mat) with the pixels
/// (valid during the call only): refuses absurd sizes before a decoder allocates anything; a
/// truncated file, or data the decoder warned about (corrupt JPEG data, a PNG chunk with a bad
/// CRC, ...), is a warning, or an error with `strict`.
void decode_mat(std::span<const unsigned char> bytes, const ImageHeader& header,
                const LoadOptions& options, std::vector<std::string>& warnings,
                const std::function<void(const cv::Mat&)>& use) {
    check_pixels(header.height, header.width, options);
    if (header.truncated) {
        const std::string what = fmt::format("{} data is truncated", format_name(header.format));
        if (options.strict) {
            throw InputError(what);
        }
        warnings.push_back(what + "; decoded what is there");
    }
    std::string warning;
    const auto checked = [&](const cv::Mat& mat) {
        check_pixels(mat.rows, mat.cols, options);
        // A truncated file was warned of above; what the decoder says then follows from it.
        if (!warning.empty() && !header.truncated) {
            const std::string what =
                fmt::format("{} decoder: {}", format_name(header.format), lower_first(warning));
            if (options.strict) {
                throw InputError(what);
            }
            warnings.push_back(what);
        }
        use(mat);
    };
    if (options.isolate_decoder) {
        decode_in_child(bytes, header, options, &warning, checked);
    } else {
        checked(decode_here(bytes, header, options.luminance, &warning));
    }
}

void configure_library_logging(bool verbose) {
    g_library_output.store(verbose);
    cv::utils::logging::setLogLevel(verbose ? cv::utils::logging::LOG_LEVEL_WARNING
                                            : cv::utils::logging::LOG_LEVEL_SILENT);
}

int decode_child_main() noexcept {
    // Dies with the thread that started it, even of SIGKILL; if that already happened, the
    // socket is closed (POLLHUP). In a process group of its own (see DecoderProcess::start),
    // writing to the terminal with `stty tostop` must not stop it.
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): prctl(2) is variadic
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    pollfd parent{kChildSocketFd, 0, 0};
    if (::poll(&parent, 1, 0) != 0 && (parent.revents & POLLHUP) != 0) {
        return 0;
    }
    std::signal(SIGTTOU, SIG_IGN);
    // One request after another until the parent closes the socket.
    int in_fd = -1;
    int out_fd = -1;
    while (receive_request(kChildSocketFd, in_fd, out_fd)) {
        const FdCloser in{in_fd};
        const FdCloser out{out_fd};
        struct stat in_stat {};
        struct stat out_stat {};
        if (::fstat(in.fd, &in_stat) != 0 || ::fstat(out.fd, &out_stat) != 0) {
            return 3;
        }
        const auto out_size = static_cast<std::size_t>(out_stat.st_size);
        void* mem = ::mmap(nullptr, out_size, PROT_READ | PROT_WRITE, MAP_SHARED, out.fd, 0);
        if (mem == MAP_FAILED || out_size < kChildHeader) {
            return 3;
        }
        const Unmapper unmap{mem, out_size};
        auto* result = static_cast<ChildResult*>(mem);
        std::vector<unsigned char> bytes(static_cast<std::size_t>(in_stat.st_size));
        std::size_t got = 0;
        while (got < bytes.size()) {
            const ssize_t n =
                ::pread(in.fd, bytes.data() + got, bytes.size() - got, static_cast<off_t>(got));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return 3;
            }
            got += static_cast<std::size_t>(n);
        }
        int status = 0;
        ::alarm(kDecodeSeconds);
        try {
            const ImageHeader header = probe_image(bytes);
            std::string warning;
            const cv::Mat mat = decode_here(bytes, header, result->luminance != 0, &warning);
            const std::size_t kept = std::min(warning.size(), result->warning.size() - 1);
            std::copy_n(warning.data(), kept, result->warning.data());
            result->warning[kept] = '\0';
            const std::size_t n = mat.total() * mat.elemSize();
            if (n > out_size - kChildHeader || !mat.isContinuous()) {
                status = 3;
            } else {
                result->rows = mat.rows;
                result->cols = mat.cols;
                result->type = mat.type();
                std::memcpy(static_cast<unsigned char*>(mem) + kChildHeader, mat.data, n);
            }
        } catch (const std::exception& e) {
            status = 2;
            const std::string_view what = e.what();
            const std::size_t length = std::min(what.size(), result->message.size() - 1);
            std::copy_n(what.data(), length, result->message.data());
            result->message[length] = '\0';
        }
        ::alarm(0);
        result->status = status;
        const char done = 'r';
        if (::send(kChildSocketFd, &done, 1, MSG_NOSIGNAL) != 1) {
            return 3;
        }
    }
    return 0;
}

}  // namespace convpool

#include "convpool/io/output_dir.hpp"

#include "convpool/core/error.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>
#include <utility>

namespace convpool {
namespace {

constexpr std::size_t kMaxNameBytes = 200;  // leaves room for a temp prefix and suffix in 255

[[noreturn]] void fail(const std::string& what, int err) {
    throw OutputError(fmt::format("{}: {}", what, std::strerror(err)));
}

/// Closes a descriptor on scope exit unless released.
struct FdGuard {
    int fd = -1;
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    FdGuard(FdGuard&&) = delete;
    FdGuard& operator=(FdGuard&&) = delete;
    explicit FdGuard(int f) : fd(f) {}
    ~FdGuard() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    int release() { return std::exchange(fd, -1); }
};

/// Splits `rel` at `/`, skipping empty parts.
std::vector<std::string_view> components(std::string_view rel) {
    std::vector<std::string_view> parts;
    while (!rel.empty()) {
        const auto slash = rel.find('/');
        const std::string_view part = rel.substr(0, slash);
        if (!part.empty()) {
            parts.push_back(part);
        }
        rel = slash == std::string_view::npos ? std::string_view() : rel.substr(slash + 1);
    }
    return parts;
}

/// A fresh random suffix for temporary names (6 characters, as mkstemp's XXXXXX).
std::string random_suffix() {
    static std::atomic<unsigned long long> counter{0};
    thread_local std::mt19937_64 engine{std::random_device{}() ^
                                        (static_cast<unsigned long long>(::getpid()) << 32U)};
    constexpr std::string_view kChars =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned long long v = engine() ^ (counter.fetch_add(1) * 0x9E3779B97F4A7C15ULL);
    std::string s(6, 'x');
    for (char& c : s) {
        c = kChars[v % kChars.size()];
        v /= kChars.size();
    }
    return s;
}

/// openat(2) with `name` relative to `dir` (AT_FDCWD: the working directory).
int open_at(int dir, const std::string& name, int flags, mode_t mode = 0) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): openat(2) is variadic
    return ::openat(dir, name.c_str(), flags | O_CLOEXEC, mode);
}

bool is_temp_name(std::string_view name) {
    const auto at = name.rfind(kTempMarker);
    return !name.empty() && name.front() == '.' && at != std::string_view::npos &&
           name.size() == at + kTempMarker.size() + 6;
}

}  // namespace

bool is_safe_name(std::string_view name) noexcept {
    return !name.empty() && name.front() != '.' && name.size() <= kMaxNameBytes &&
           name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

std::string safe_name(std::string_view name) {
    if (is_safe_name(name)) {
        return std::string(name);
    }
    std::string out = name.empty() ? std::string("image") : std::string(name);
    for (char& c : out) {
        c = c == '/' || c == '\0' ? '_' : c;
    }
    if (out.front() == '.') {
        out.insert(out.begin(), '_');
    }
    if (out.size() > kMaxNameBytes) {
        std::size_t cut = kMaxNameBytes;
        // Do not split a UTF-8 sequence: back up over continuation bytes (10xxxxxx).
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0U) == 0x80U) {
            --cut;
        }
        out.resize(cut);
    }
    return out;
}

OutputDir OutputDir::open(const std::string& path, bool create) {
    std::error_code ec;
    if (create) {
        std::filesystem::create_directories(path, ec);
    }
    const int fd = open_at(AT_FDCWD, path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        const int err = errno;
        if (ec) {
            throw OutputError(fmt::format("{}: cannot create directory: {}", path, ec.message()));
        }
        throw OutputError(fmt::format("{}: cannot open directory: {}", path,
                                      err == ENOTDIR ? "not a directory" : std::strerror(err)));
    }
    return {fd, path};
}

OutputDir::OutputDir(OutputDir&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)),
      m_lock_fd(std::exchange(other.m_lock_fd, -1)),
      m_path(std::move(other.m_path)) {}

OutputDir& OutputDir::operator=(OutputDir&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        if (m_lock_fd >= 0) {
            ::close(m_lock_fd);
        }
        m_fd = std::exchange(other.m_fd, -1);
        m_lock_fd = std::exchange(other.m_lock_fd, -1);
        m_path = std::move(other.m_path);
    }
    return *this;
}

OutputDir::~OutputDir() {
    if (m_lock_fd >= 0) {
        ::close(m_lock_fd);
    }
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

std::string OutputDir::path_of(std::string_view name) const {
    return (std::filesystem::path(m_path) / std::string(name)).string();
}

OutputDir OutputDir::subdir(std::string_view rel, bool create) const {
    int fd = ::dup(m_fd);
    if (fd < 0) {
        fail(m_path, errno);
    }
    FdGuard current(fd);
    std::string path = m_path;
    for (const std::string_view part : components(rel)) {
        path = (std::filesystem::path(path) / std::string(part)).string();
        if (!is_safe_name(part)) {
            throw OutputError(fmt::format("{}: refusing to write to an unsafe name", path));
        }
        const std::string name(part);
        if (create && ::mkdirat(current.fd, name.c_str(), 0755) != 0 && errno != EEXIST) {
            fail(fmt::format("{}: cannot create directory", path), errno);
        }
        const int next = open_at(current.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (next < 0) {
            const int err = errno;
            if (err == ELOOP || err == ENOTDIR) {
                throw OutputError(fmt::format(
                    "{}: refusing to write there: it is a symlink or not a directory", path));
            }
            fail(fmt::format("{}: cannot open directory", path), err);
        }
        ::close(current.fd);
        current.fd = next;
    }
    return {current.release(), path};
}

std::optional<OutputDir> OutputDir::find_subdir(std::string_view rel) const {
    int fd = ::dup(m_fd);
    if (fd < 0) {
        return std::nullopt;
    }
    FdGuard current(fd);
    for (const std::string_view part : components(rel)) {
        const std::string name(part);
        const int next = open_at(current.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (!is_safe_name(part) || next < 0) {
            if (next >= 0) {
                ::close(next);
            }
            return std::nullopt;
        }
        ::close(current.fd);
        current.fd = next;
    }
    return OutputDir(current.release(),
                     (std::filesystem::path(m_path) / std::string(rel)).string());
}

void OutputDir::write(std::string_view name, std::string_view bytes) const {
    write_streamed(name, [bytes](const auto& append) { append(bytes); });
}

namespace {

/// All of `bytes` to `fd` (retrying after EINTR); errno on failure, else 0.
int write_all(int fd, std::string_view bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return errno;
        }
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

}  // namespace

void OutputDir::write_streamed(std::string_view name, const Producer& produce) const {
    const std::string target(name);
    const std::string shown = path_of(name);
    if (!is_safe_name(name)) {
        throw OutputError(fmt::format("{}: refusing to write to an unsafe name", shown));
    }
    std::string tmp;
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
        tmp = fmt::format(".{}{}{}", target, kTempMarker, random_suffix());
        fd = open_at(m_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
        if (fd < 0 && errno != EEXIST) {
            fail(fmt::format("{}: cannot write", shown), errno);
        }
    }
    if (fd < 0) {
        fail(fmt::format("{}: cannot write", shown), EEXIST);
    }
    const auto discard = [&] {
        ::close(fd);
        ::unlinkat(m_fd, tmp.c_str(), 0);
    };
    // Small pieces are gathered up to 64 KiB; a write error ends the file.
    constexpr std::size_t kPiece = 65536;
    std::string pending;
    int err = 0;
    try {
        produce([&](std::string_view bytes) {
            if (err != 0) {
                return;
            }
            if (pending.size() + bytes.size() < kPiece) {
                pending.append(bytes);
                return;
            }
            err = write_all(fd, pending);
            pending.clear();
            if (err == 0) {
                err = write_all(fd, bytes);
            }
        });
    } catch (...) {
        discard();
        throw;
    }
    if (err == 0) {
        err = write_all(fd, pending);
    }
    if (err == 0 && ::fsync(fd) != 0) {
        err = errno;
    }
    if (err != 0) {
        discard();
        fail(fmt::format("{}: cannot write", shown), err);
    }
    if (::close(fd) != 0) {
        err = errno;
        ::unlinkat(m_fd, tmp.c_str(), 0);
        fail(fmt::format("{}: cannot write", shown), err);
    }
    if (::renameat(m_fd, tmp.c_str(), m_fd, target.c_str()) != 0) {
        err = errno;
        ::unlinkat(m_fd, tmp.c_str(), 0);
        fail(fmt::format("{}: cannot write", shown), err);
    }
}

bool OutputDir::has_file(std::string_view name) const {
    struct stat st {};
    const std::string n(name);
    return ::fstatat(m_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

std::optional<std::string> OutputDir::read(std::string_view name, std::size_t max_bytes) const {
    const std::string n(name);
    const int fd = open_at(m_fd, n, O_RDONLY | O_NOFOLLOW);
    if (fd < 0) {
        return std::nullopt;
    }
    FdGuard guard(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<unsigned long long>(st.st_size) > max_bytes) {
        return std::nullopt;
    }
    std::string text;
    std::array<char, 65536> buf{};
    for (;;) {
        const ssize_t got = ::read(fd, buf.data(), buf.size());
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return std::nullopt;
        }
        if (got == 0) {
            break;
        }
        text.append(buf.data(), static_cast<std::size_t>(got));
        if (text.size() > max_bytes) {
            return std::nullopt;
        }
    }
    return text;
}

void OutputDir::remove(std::string_view name) const {
    const std::string n(name);
    if (::unlinkat(m_fd, n.c_str(), 0) != 0 && errno != ENOENT) {
        fail(fmt::format("{}: cannot remove", path_of(name)), errno);
    }
}

std::vector<std::string> OutputDir::entries() const {
    std::vector<std::string> names;
    const int fd = open_at(m_fd, ".", O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        return names;
    }
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
        ::close(fd);
        return names;
    }
    while (const dirent* e = ::readdir(dir)) {
        const std::string_view n(static_cast<const char*>(e->d_name));
        if (n != "." && n != "..") {
            names.emplace_back(n);
        }
    }
    ::closedir(dir);
    return names;
}

void OutputDir::remove_stale_temps() const {
    for (const auto& name : entries()) {
        if (is_temp_name(name)) {
            remove(name);
        }
    }
}

void OutputDir::lock() {
    const std::string name(kLockName);
    const int fd = open_at(m_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW, 0644);
    if (fd < 0) {
        fail(fmt::format("{}: cannot create the lock file", path_of(name)), errno);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) {
            throw OutputError(fmt::format(
                "{}: another convpool run is writing to this folder (it holds {}); wait for it "
                "or choose another -o",
                m_path, name));
        }
        fail(fmt::format("{}: cannot lock", path_of(name)), err);
    }
    m_lock_fd = fd;
}

std::pair<unsigned long long, unsigned long long> OutputDir::identity() const {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0) {
        return {0, 0};
    }
    return {static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino)};
}

}  // namespace convpool

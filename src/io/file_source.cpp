#include "convpool/io/file_source.hpp"

#include "convpool/core/error.hpp"
#include "convpool/io/image_io.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace convpool {
namespace {

class FileSource final : public ByteSource {
public:
    FileSource(int fd, std::uint64_t size, std::string path) noexcept
        : m_fd(fd), m_size(size), m_path(std::move(path)) {}
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;
    FileSource(FileSource&&) = delete;
    FileSource& operator=(FileSource&&) = delete;
    ~FileSource() override { ::close(m_fd); }

    std::size_t read_at(std::uint64_t offset, char* buf, std::size_t n) const override {
        std::size_t done = 0;
        while (done < n && offset + done < m_size) {
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(n - done, m_size - offset - done));
            const ssize_t got = ::pread(m_fd, buf + done, want, static_cast<off_t>(offset + done));
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got < 0) {
                throw UsageError(fmt::format("cannot read '{}': {}", m_path, errno_text(errno)));
            }
            if (got == 0) {
                break;  // shrank since it was opened
            }
            done += static_cast<std::size_t>(got);
        }
        return done;
    }

private:
    int m_fd;
    std::uint64_t m_size;
    std::string m_path;
};

}  // namespace

std::unique_ptr<ByteSource> open_file_source(const std::string& path, std::uint64_t max_bytes,
                                             std::string_view what) {
    // A regular file: a report that is /dev/zero or a FIFO is not even opened.
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
        throw UsageError(fmt::format("{}: not a regular file", path));
    }
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open(2) is variadic
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        throw UsageError(fmt::format("{}: cannot read '{}': {}", what, path, errno_text(errno)));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw UsageError(fmt::format("{}: not a regular file", path));
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > max_bytes) {
        ::close(fd);
        throw UsageError(fmt::format("{}: '{}' is larger than {} bytes", what, path, max_bytes));
    }
    return std::make_unique<FileSource>(fd, size, path);
}

}  // namespace convpool

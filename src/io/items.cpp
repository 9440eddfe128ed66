// How many images a file holds (TIFF pages, .npy batch items), read cheaply for the input list.
#include "convpool/core/error.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/image_probe.hpp"
#include "convpool/io/npy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <vector>

namespace convpool {

std::size_t count_items(std::span<const unsigned char> bytes, const LoadOptions& options) {
    try {
        const auto format = sniff_format(bytes);
        if (format == ImageFormat::npy) {
            return npy_item_count(bytes, options.npy_layout);
        }
        if (format == ImageFormat::tiff && !options.pages_as_channels) {
            return tiff_page_offsets(bytes).size();
        }
    } catch (const InputError&) {
        // Decoding the file reports why.
    }
    return 1;
}

FileItems count_bytes_items(std::span<const unsigned char> bytes, const LoadOptions& options) {
    return {count_items(bytes, options), sniff_format(bytes) == ImageFormat::tiff};
}

FileItems count_file_items(const std::string& path, const LoadOptions& options) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open(2) is variadic
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return {};
    }
    FileItems count;
    struct stat st {};
    std::array<unsigned char, 8> head{};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        static_cast<std::size_t>(st.st_size) <= options.max_bytes &&
        ::pread(fd, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size())) {
        const auto format = sniff_format(head);
        if (format == ImageFormat::npy || format == ImageFormat::tiff) {
            // Read, not mapped: a file cut short while mapped would raise SIGBUS.
            std::vector<unsigned char> bytes(static_cast<std::size_t>(st.st_size));
            std::size_t got = 0;
            while (got < bytes.size()) {
                const ssize_t n =
                    ::pread(fd, bytes.data() + got, bytes.size() - got, static_cast<off_t>(got));
                if (n <= 0) {
                    break;
                }
                got += static_cast<std::size_t>(n);
            }
            bytes.resize(got);
            count = count_bytes_items(bytes, options);
        }
    }
    ::close(fd);
    return count;
}

}  // namespace convpool

#pragma once
/// \file output_dir.hpp
/// The output folder contract: everything convpool writes goes through an open descriptor of
/// OUT (openat, mkdirat, renameat), never through a path resolved again later, so no file name,
/// symlink or race can make a write land outside OUT. Files are written to a temporary name
/// `.<name>.convpool-tmp.XXXXXX` (O_CREAT | O_EXCL | O_NOFOLLOW) and renamed into place when
/// complete; subfolders are opened with O_NOFOLLOW, so a symlink planted inside OUT is refused,
/// not followed. docs/outputs.md describes the contract.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace convpool {

/// Marker inside the temporary names convpool writes (`.<name>.convpool-tmp.XXXXXX`).
inline constexpr std::string_view kTempMarker = ".convpool-tmp.";

/// The lock file inside OUT (`flock`, released by the kernel when the process ends).
inline constexpr std::string_view kLockName = ".convpool.lock";

/// True for a name convpool may give a file or folder it creates: not empty, not `.` or `..`,
/// not starting with `.`, no `/`, no NUL, at most 200 bytes.
[[nodiscard]] bool is_safe_name(std::string_view name) noexcept;

/// `name` made safe: empty becomes `image`, a leading `.` gets a `_` in front (`..` -> `_..`,
/// `.hidden` -> `_.hidden`), `/` and NUL become `_`, and a name over 200 bytes is cut (at a
/// UTF-8 character boundary). A safe name is returned unchanged.
[[nodiscard]] std::string safe_name(std::string_view name);

/// An open folder below (or at) OUT. Move-only; closes its descriptor.
class OutputDir {
public:
    /// Opens `path`, created (with its parents) when missing and `create`. The folder named by
    /// the user may itself be a symlink; everything below it is opened without following any.
    /// Throws OutputError.
    [[nodiscard]] static OutputDir open(const std::string& path, bool create = true);

    OutputDir(const OutputDir&) = delete;
    OutputDir& operator=(const OutputDir&) = delete;
    OutputDir(OutputDir&& other) noexcept;
    OutputDir& operator=(OutputDir&& other) noexcept;
    ~OutputDir();

    /// The folder `rel` below this one (components separated by `/`, each a safe name), created
    /// when `create` and missing. Never follows a symlink. Throws OutputError (also when a
    /// component is unsafe, is not a folder, or is a symlink).
    [[nodiscard]] OutputDir subdir(std::string_view rel, bool create) const;

    /// The folder `rel` when it exists (and is a real folder), else nothing.
    [[nodiscard]] std::optional<OutputDir> find_subdir(std::string_view rel) const;

    /// Writes `bytes` as `name` (a safe name) atomically: a temporary file in this folder,
    /// fsync, then renamed over `name` (a symlink named `name` is replaced, never followed).
    /// Throws OutputError naming the file.
    void write(std::string_view name, std::string_view bytes) const;

    /// Hands `produce` a function that appends bytes; writes them as `name` as write() does,
    /// without holding them whole. When `produce` throws, nothing replaces `name`.
    using Producer = std::function<void(const std::function<void(std::string_view)>&)>;
    void write_streamed(std::string_view name, const Producer& produce) const;

    /// True when `name` exists here as a regular file (symlinks do not count).
    [[nodiscard]] bool has_file(std::string_view name) const;

    /// The contents of the regular file `name`, when it exists and is at most `max_bytes`.
    [[nodiscard]] std::optional<std::string> read(std::string_view name,
                                                  std::size_t max_bytes) const;

    /// Removes the file `name` here (a symlink is removed, not followed); a missing file is fine.
    void remove(std::string_view name) const;

    /// Removes the temporary files of earlier, interrupted runs in this folder.
    void remove_stale_temps() const;

    /// Names of the entries of this folder (no `.` and `..`).
    [[nodiscard]] std::vector<std::string> entries() const;

    /// Takes the exclusive lock of this folder (`flock` on `.convpool.lock`, without waiting);
    /// held until this object is destroyed or the process ends. Throws OutputError when another
    /// process holds it.
    void lock();

    /// The folder's path as given (for messages and the report).
    [[nodiscard]] const std::string& path() const noexcept { return m_path; }
    /// Path of `name` inside this folder, for messages.
    [[nodiscard]] std::string path_of(std::string_view name) const;

    /// Device and inode of the folder (to recognise it, or paths inside it, by identity).
    [[nodiscard]] std::pair<unsigned long long, unsigned long long> identity() const;

private:
    OutputDir(int fd, std::string path) noexcept : m_fd(fd), m_path(std::move(path)) {}
    int m_fd = -1;
    int m_lock_fd = -1;
    std::string m_path;
};

}  // namespace convpool

#include "convpool/core/error.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/image_io.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

#include "batch.hpp"

namespace convpool {
namespace fs = std::filesystem;

namespace {

/// A --files-from list holds at most 64 MiB, each path at most PATH_MAX bytes.
constexpr std::size_t kMaxPathListBytes = std::size_t{64} << 20;
constexpr std::size_t kMaxPathBytes = 4096;

/// Reads paths from a --files-from list: one per line, or NUL-separated.
std::vector<std::string> read_path_list(const std::string& source, bool nul) {
    std::string text;
    if (source == "-") {
        try {
            const auto bytes = read_stdin(kMaxPathListBytes);
            text.assign(bytes.begin(), bytes.end());
        } catch (const InputError& e) {
            throw UsageError(fmt::format("--files-from: {}", e.what()));
        }
    } else {
        text = read_text_file(source, kMaxPathListBytes, "--files-from");
    }
    std::vector<std::string> paths;
    std::string cur;
    const char sep = nul ? '\0' : '\n';
    for (const char c : text) {
        if (c == sep) {
            if (!nul && !cur.empty() && cur.back() == '\r') {
                cur.pop_back();
            }
            if (!cur.empty()) {
                paths.push_back(cur);
            }
            cur.clear();
        } else if (cur.size() == kMaxPathBytes) {  // PATH_MAX: no path is longer
            throw UsageError(
                fmt::format("--files-from: an entry is longer than {} bytes; is "
                            "'{}' a list of paths?",
                            kMaxPathBytes, source));
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) {
        paths.push_back(cur);
    }
    return paths;
}

/// True when `path` is `out` or lies below it (by device and inode of every folder on its
/// resolved path, so symlinks into OUT are caught too).
bool inside(const fs::path& path, const std::optional<FileId>& out) {
    if (!out) {
        return false;
    }
    std::error_code ec;
    fs::path p = fs::weakly_canonical(path, ec);
    if (ec) {
        return false;
    }
    for (;;) {
        if (file_id(p.string()) == out) {
            return true;
        }
        if (!p.has_relative_path()) {
            return false;
        }
        p = p.parent_path();
    }
}

/// Image files below `dir` (all levels when `recursive`), sorted, each with its path relative
/// to `dir`. Nothing inside `out` (the output folder) is collected.
std::vector<std::pair<std::string, fs::path>> images_in(const std::string& dir, bool recursive,
                                                        const std::optional<FileId>& out) {
    std::vector<std::pair<std::string, fs::path>> found;
    if (inside(dir, out)) {
        return found;
    }
    std::error_code ec;
    const auto take = [&](const fs::directory_entry& entry) {
        std::error_code fec;
        if (entry.is_regular_file(fec) && is_image_path(entry.path().string()) &&
            !inside(entry.path(), out)) {
            found.emplace_back(entry.path().string(), entry.path().lexically_relative(dir));
        }
    };
    if (recursive) {
        for (auto it = fs::recursive_directory_iterator(
                 dir, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            std::error_code dec;
            if (it->is_directory(dec) && out && file_id(it->path().string()) == out) {
                it.disable_recursion_pending();  // never descend into OUT
                continue;
            }
            take(*it);
        }
    } else {
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            take(entry);
        }
    }
    if (ec) {
        return {{dir, fs::path()}};  // unreadable directory: fails like a bad file
    }
    std::sort(found.begin(), found.end());
    return found;
}

/// Output name of a file found in a directory argument: its folders below that directory,
/// mirrored (each made safe), then its stem.
std::string mirrored_name(const fs::path& relative) {
    std::string name;
    for (const auto& part : relative.parent_path()) {
        name += safe_name(part.string()) + "/";
    }
    return name + output_stem(relative.string());
}

/// Every folder above each name (`cats` for `cats/001`).
std::set<std::string> ancestors_of(const std::vector<InputItem>& items) {
    std::set<std::string> dirs;
    for (const auto& item : items) {
        for (std::string d = parent_of(item.out_name); !d.empty(); d = parent_of(d)) {
            dirs.insert(d);
        }
    }
    return dirs;
}

/// Gives every item a distinct output name. Two files named directly with the same stem are
/// refused (as before); any other clash (an escaped name, files of one folder differing only in
/// extension, an image folder named like a mirrored folder) gets a suffix `~2`, `~3`, ...
void assign_unique_names(std::vector<InputItem>& items) {
    const std::set<std::string> folders = ancestors_of(items);
    std::map<std::string, const InputItem*> taken;
    for (auto& item : items) {
        const auto it = taken.find(item.out_name);
        if (it != taken.end() && item.named && it->second->named && !item.renamed &&
            !it->second->renamed) {
            throw UsageError(fmt::format(
                "inputs '{}' and '{}' would both write to '{}/'; rename one or run them "
                "separately",
                it->second->path, item.path, item.out_name));
        }
        const std::string wanted = item.out_name;
        for (int n = 2; taken.contains(item.out_name) || folders.contains(item.out_name); ++n) {
            item.out_name = fmt::format("{}~{}", wanted, n);
            item.renamed = true;
        }
        taken.emplace(item.out_name, &item);
    }
}

}  // namespace

std::string output_stem(const std::string& input) {
    if (input == "-") {
        return "stdin";
    }
    return safe_name(fs::path(input).stem().string());
}

std::vector<InputItem> list_inputs(const RunOptions& options) {
    std::vector<std::string> given = options.inputs;
    if (!options.files_from.empty()) {
        const auto listed = read_path_list(options.files_from, options.files_nul);
        given.insert(given.end(), listed.begin(), listed.end());
    }
    const auto out = options.out_dir == "-" ? std::nullopt : file_id(options.out_dir);
    std::vector<InputItem> inputs;
    for (const auto& p : given) {
        std::error_code ec;
        if (p != "-" && fs::is_directory(p, ec)) {
            for (const auto& [path, relative] : images_in(p, options.recursive, out)) {
                InputItem item{path, mirrored_name(relative), false, false};
                item.renamed = relative.empty();
                inputs.push_back(std::move(item));
            }
        } else {
            const std::string raw = p == "-" ? std::string("stdin") : fs::path(p).stem().string();
            InputItem item{p, output_stem(p), true, false};
            item.renamed = item.out_name != raw;
            inputs.push_back(std::move(item));
        }
    }
    const auto stdin_count = std::count_if(inputs.begin(), inputs.end(),
                                           [](const InputItem& i) { return i.path == "-"; });
    if (stdin_count > 1) {
        throw UsageError("'-' (standard input) can be given only once");
    }
    if (options.files_from == "-" && stdin_count > 0) {
        throw UsageError("standard input cannot hold both --files-from - and an image '-'");
    }
    if (inputs.empty()) {
        throw UsageError("no input images (directories are searched for image files by extension)");
    }
    assign_unique_names(inputs);
    return inputs;
}

std::vector<InputItem> expand_items(const std::vector<InputItem>& files, const RunOptions& options,
                                    std::span<const unsigned char> stdin_bytes) {
    std::vector<InputItem> items;
    items.reserve(files.size());
    for (const auto& file : files) {
        const FileItems found = file.path == "-" ? count_bytes_items(stdin_bytes, options.load)
                                                 : count_file_items(file.path, options.load);
        if (found.count <= 1) {
            items.push_back(file);
            continue;
        }
        if (found.count > kMaxItemsPerFile) {
            throw UsageError(
                fmt::format("'{}' holds {} images; at most {} of one file are read "
                            "as inputs",
                            file.path, found.count, kMaxItemsPerFile));
        }
        for (std::size_t k = 0; k < found.count; ++k) {
            InputItem one = file;
            one.item = k;
            one.out_name = fmt::format("{}_{}{}", file.out_name, found.tiff_pages ? 'p' : 'i', k);
            one.renamed = true;  // a clash with another file's name gets a suffix, not an error
            items.push_back(std::move(one));
        }
    }
    if (items.size() != files.size()) {
        assign_unique_names(items);
    }
    return items;
}

}  // namespace convpool

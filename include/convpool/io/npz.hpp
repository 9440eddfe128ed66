#pragma once
/// \file npz.hpp
/// NumPy .npz archives (zip files of .npy members, stored or deflated, as numpy.savez and
/// numpy.savez_compressed write them) and the weights loader of the pipeline's `@FILE` values.

#include "convpool/core/params.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// The largest weights file read, and the largest member inflated from an .npz: 64 MiB.
inline constexpr std::size_t kMaxWeightsBytes = std::size_t{64} << 20U;

/// True when `bytes` start with a zip local file header (`PK\3\4`) or are an empty zip.
[[nodiscard]] bool is_zip(std::span<const unsigned char> bytes) noexcept;

/// The array names of an .npz archive: its member names without `.npy`, in archive order.
/// Throws InputError for a malformed archive.
[[nodiscard]] std::vector<std::string> npz_keys(std::span<const unsigned char> bytes);

/// The bytes of the array `key` (the member `key.npy`, or `key` itself) of the .npz archive
/// `bytes`. The central directory is read (zip64 refused); a key with `/`, `\`, `..` or a NUL is
/// refused; the member must be stored or deflated, not encrypted, no larger than `max_bytes`
/// once inflated, inflate to exactly its declared size and match its CRC-32. Throws InputError
/// (a missing key lists the keys and suggests the closest).
[[nodiscard]] std::vector<unsigned char> npz_member(std::span<const unsigned char> bytes,
                                                    std::string_view key,
                                                    std::size_t max_bytes = kMaxWeightsBytes);

/// The weights at `path`: a .npy file, or with a non-empty `key` an array of a .npz archive
/// (decode_weights_npy). Throws UsageError naming the file: `'w.npz': no array 'x' ...`.
[[nodiscard]] WeightsArray read_weights_file(const std::string& path, const std::string& key);

/// The ParseContext of the commands that parse pipelines: weights read by read_weights_file,
/// models by load_onnx_model (io/onnx.hpp).
[[nodiscard]] ParseContext weights_context();

}  // namespace convpool

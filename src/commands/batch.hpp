#pragma once
/// \file batch.hpp
/// Inside `run` (not a public header): what the parts of a batch share. run.cpp drives the
/// batch (jobs, statuses, the run's report); records.cpp keeps each image's record, the only
/// list of files a later run may delete; stage_files.cpp writes a stage's files; inputs.cpp
/// lists the inputs and names their outputs.

#include "convpool/commands/run.hpp"
#include "convpool/commands/run_core.hpp"
#include "convpool/io/output_dir.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace convpool {

class WriteQueue;

/// The record of an image's outputs in its folder: what it wrote (the only files --force ever
/// deletes there). Written last, so its presence marks the image's outputs complete.
inline constexpr std::string_view kRecordName = "convpool.json";
inline constexpr std::size_t kMaxRecordBytes = std::size_t{64} << 20U;

/// Device and inode of a file, to recognise it whatever path names it.
using FileId = std::pair<unsigned long long, unsigned long long>;
[[nodiscard]] std::optional<FileId> file_id(const std::string& path);

/// Shared, read-only facts of one batch that every image needs.
struct BatchContext {
    const Pipeline& pipeline;
    const RunOptions& options;
    RunEvents events;         ///< the batch's own: its stop request covers --fail-fast
    const OutputDir* out;     ///< OUT, open and locked (null with `-o -`)
    std::set<FileId> inputs;  ///< every input file: never overwritten or deleted
    std::vector<unsigned char> stdin_bytes;  ///< the image given as `-`
};

/// Writes one output file, refusing to replace an input.
void write_output(const BatchContext& ctx, const OutputDir& dir, const std::string& name,
                  const std::string& bytes);

/// The folder part of an output name (`cats` of `cats/001`; empty for `001`).
[[nodiscard]] std::string parent_of(const std::string& out_name);

/// Where the record of an image lives: with --emit all `convpool.json` in the image's own folder
/// (`OUT/cats/001/convpool.json`); with --emit final beside the final image, named after it
/// (`OUT/cats/001.convpool.json` next to `OUT/cats/001.png`).
struct RecordPlace {
    std::string folder;  ///< below OUT
    std::string name;
};
[[nodiscard]] RecordPlace record_place(const RunOptions& options, const InputItem& item);

/// Removes the record `record` in `dir` and then the files it lists (never an input): the record
/// goes first, so an interrupted redo is never taken as complete.
void remove_recorded(const BatchContext& ctx, const OutputDir& dir, const std::string& record);

/// The file name of the final image of `item` (Emit::final with a directory).
[[nodiscard]] std::string final_name(const RunOptions& options, const InputItem& item,
                                     int channels);

/// Opens the folder of one image for writing its outputs: removes temporary files of an earlier
/// interrupted run and, with --force or --skip-existing (an image redone), the files the earlier
/// run's record lists (never anything else, never an input).
[[nodiscard]] OutputDir open_image_dir(const BatchContext& ctx, const InputItem& item);

/// What produced an image's outputs: the pipeline (defaults filled in), every option that
/// changes a written file, convpool's version, and the input's size and modification time (for
/// stdin: size and a hash of the bytes). An image whose record holds another fingerprint is
/// redone by --skip-existing.
[[nodiscard]] nlohmann::json image_fingerprint(const BatchContext& ctx, const InputItem& item);

/// The record of an image: what produced it, the files it wrote (image-level and per stage)
/// and its report entry (docs/outputs.md).
[[nodiscard]] std::string image_record(const ImageReport& img, const nlohmann::json& fingerprint);

/// The report of `item` from an earlier run when its outputs are complete and up to date: its
/// record holds this run's fingerprint and every file it lists exists.
[[nodiscard]] std::optional<ImageReport> earlier_outputs(const BatchContext& ctx,
                                                         const InputItem& item);

/// True when an earlier run left any output of `item`: its record, or files named as convpool
/// names them (convpool 0.1 wrote no records).
[[nodiscard]] bool outputs_exist(const OutputDir& out, const RunOptions& options,
                                 const InputItem& item);

/// Writes the pictures of one stage for --emit all into `dir`: the stage's picture, its zoom
/// when reduced, its pooling-window overlay, .npy and switch maps as asked, naming them in `st`,
/// and adds the stage's tile to the contact sheet. Whatever reads the stage's values is done
/// here; the pictures drawn from them are encoded and written by `files` (write_queue.hpp).
void write_stage_pictures(const BatchContext& ctx, const OutputDir& dir, const StageView& view,
                          StageReport& st, std::vector<SheetItem>& sheet, WriteQueue& files);

}  // namespace convpool

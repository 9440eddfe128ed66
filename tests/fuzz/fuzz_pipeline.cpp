// libFuzzer target: the pipeline parser and planner on arbitrary text. Any convpool::Error is a
// correct answer; a crash, a sanitizer report, another exception or a hang is a bug.
#include "convpool/core/error.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const convpool::Pipeline pipeline(text);
        for (const auto& stage : pipeline.stages()) {
            // Every description must parse back, to the same stage: the same description.
            const std::string text = stage.describe();
            const convpool::Pipeline again(text);
            if (again.stages().size() != 1 || again.stages().front().describe() != text) {
                __builtin_trap();
            }
        }
        for (const convpool::Shape shape :
             {convpool::Shape{1, 1, 1}, convpool::Shape{3, 7, 5}, convpool::Shape{2, 64, 33}}) {
            try {
                (void)pipeline.plan(shape, std::size_t{1} << 22);
            } catch (const convpool::ShapeError&) {
            }
        }
    } catch (const convpool::UsageError&) {
    }
    return 0;
}

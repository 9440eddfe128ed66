// libFuzzer target: the ONNX model reader (`src/io/onnx.cpp`) on arbitrary bytes. It walks the
// protobuf wire format itself before OpenCV's importer sees a file, so every length, varint and
// count it reads comes from an untrusted `model:FILE.onnx`. What it gives back must be bounded
// and consistent; anything else must be one InputError.
#include "convpool/core/error.hpp"
#include "convpool/io/onnx.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> bytes(data, size);
    try {
        const convpool::OnnxGraph graph = convpool::parse_onnx(bytes);
        // Every node and name was read from these bytes: none can outnumber them.
        if (graph.nodes.empty() || graph.input.empty() || graph.nodes.size() > size) {
            __builtin_trap();  // "a model without nodes or input" is refused
        }
        std::size_t text = graph.input.size();
        for (const auto& node : graph.nodes) {
            text += node.name.size() + node.op_type.size();
            for (const auto& out : node.outputs) {
                text += out.size();
            }
        }
        if (text > size) {
            __builtin_trap();  // names are copies of byte ranges, never longer than the file
        }
    } catch (const convpool::InputError&) {
    }
    return 0;
}

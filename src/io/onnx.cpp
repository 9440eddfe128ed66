// The protobuf wire format of an ONNX model, read just far enough for its graph.
#include "convpool/io/onnx.hpp"

#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace convpool {
namespace {

constexpr std::size_t kMaxNodes = 1U << 20U;

/// Field numbers of onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto,
/// TypeProto, TensorShapeProto, OperatorSetIdProto).
namespace field {
constexpr std::uint64_t kModelGraph = 7;
constexpr std::uint64_t kModelOpset = 8;
constexpr std::uint64_t kGraphNode = 1;
constexpr std::uint64_t kGraphInitializer = 5;
constexpr std::uint64_t kGraphInput = 11;
constexpr std::uint64_t kGraphOutput = 12;
constexpr std::uint64_t kNodeOutput = 2;
constexpr std::uint64_t kNodeName = 3;
constexpr std::uint64_t kNodeOpType = 4;
constexpr std::uint64_t kTensorDims = 1;
constexpr std::uint64_t kTensorName = 8;
constexpr std::uint64_t kValueName = 1;
constexpr std::uint64_t kValueType = 2;
constexpr std::uint64_t kTypeTensor = 1;
constexpr std::uint64_t kTensorTypeShape = 2;
constexpr std::uint64_t kShapeDim = 1;
constexpr std::uint64_t kDimValue = 1;
constexpr std::uint64_t kOpsetDomain = 1;
constexpr std::uint64_t kOpsetVersion = 2;
}  // namespace field

enum class Wire : std::uint8_t { varint = 0, fixed64 = 1, bytes = 2, fixed32 = 5 };

[[noreturn]] void bad(std::string_view why) {
    throw InputError(fmt::format("not an ONNX model: {}", why));
}

/// A protobuf message's fields, one at a time.
class Reader {
public:
    explicit Reader(std::span<const unsigned char> bytes) : m_bytes(bytes) {}

    [[nodiscard]] bool done() const noexcept { return m_pos >= m_bytes.size(); }

    std::uint64_t varint() {
        std::uint64_t value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (done()) {
                bad("truncated");
            }
            const unsigned char b = m_bytes[m_pos++];
            value |= std::uint64_t{b & 0x7FU} << static_cast<unsigned>(shift);
            if ((b & 0x80U) == 0) {
                return value;
            }
        }
        bad("a number longer than 10 bytes");
    }

    /// The next field's number and wire type.
    std::pair<std::uint64_t, Wire> tag() {
        const std::uint64_t t = varint();
        const auto wire = static_cast<unsigned>(t & 7U);
        if (wire != 0 && wire != 1 && wire != 2 && wire != 5) {
            bad(fmt::format("wire type {} at byte {}", wire, m_pos));
        }
        if ((t >> 3U) == 0) {
            bad(fmt::format("field number 0 at byte {}", m_pos));
        }
        return {t >> 3U, static_cast<Wire>(wire)};
    }

    std::span<const unsigned char> bytes() {
        const std::uint64_t n = varint();
        if (n > m_bytes.size() - m_pos) {
            bad("truncated");
        }
        const auto out = m_bytes.subspan(m_pos, static_cast<std::size_t>(n));
        m_pos += static_cast<std::size_t>(n);
        return out;
    }

    std::string text() {
        const auto b = bytes();
        return {b.begin(), b.end()};
    }

    void skip(Wire wire) {
        switch (wire) {
            case Wire::varint:
                static_cast<void>(varint());
                return;
            case Wire::bytes:
                static_cast<void>(bytes());
                return;
            case Wire::fixed64:
            case Wire::fixed32: {
                const std::size_t n = wire == Wire::fixed64 ? 8 : 4;
                if (n > m_bytes.size() - m_pos) {
                    bad("truncated");
                }
                m_pos += n;
                return;
            }
        }
    }

private:
    std::span<const unsigned char> m_bytes;
    std::size_t m_pos = 0;
};

/// A length-delimited field, or the error of a field of the wrong wire type.
std::span<const unsigned char> message(Reader& r, Wire wire, std::string_view what) {
    if (wire != Wire::bytes) {
        bad(fmt::format("{} is not a message", what));
    }
    return r.bytes();
}

OnnxNode read_node(std::span<const unsigned char> bytes) {
    OnnxNode node;
    Reader r(bytes);
    while (!r.done()) {
        const auto [number, wire] = r.tag();
        if (number == field::kNodeOutput && wire == Wire::bytes) {
            node.outputs.push_back(r.text());
        } else if (number == field::kNodeName && wire == Wire::bytes) {
            node.name = r.text();
        } else if (number == field::kNodeOpType && wire == Wire::bytes) {
            node.op_type = r.text();
        } else {
            r.skip(wire);
        }
    }
    return node;
}

/// A weight's name, its declared dimensions checked.
std::string read_initializer(std::span<const unsigned char> bytes) {
    std::string name;
    std::vector<std::int64_t> dims;
    Reader r(bytes);
    while (!r.done()) {
        const auto [number, wire] = r.tag();
        if (number == field::kTensorDims && wire == Wire::varint) {
            dims.push_back(static_cast<std::int64_t>(r.varint()));
        } else if (number == field::kTensorDims && wire == Wire::bytes) {
            Reader packed(r.bytes());
            while (!packed.done()) {
                dims.push_back(static_cast<std::int64_t>(packed.varint()));
            }
        } else if (number == field::kTensorName && wire == Wire::bytes) {
            name = r.text();
        } else {
            r.skip(wire);
        }
    }
    std::int64_t count = 1;
    for (const std::int64_t d : dims) {
        if (d < 0) {
            bad(fmt::format("weight '{}' has a negative dimension", name));
        }
        if (d != 0 && count > kMaxModelTensorValues / d) {
            throw InputError(fmt::format("weight '{}' declares more than {} values", name,
                                         kMaxModelTensorValues));
        }
        count *= d;
    }
    return name;
}

/// Calls `each` with the payload of every length-delimited field `number` of `bytes`.
template <typename F>
void for_each_message(std::span<const unsigned char> bytes, std::uint64_t number, F&& each) {
    Reader r(bytes);
    while (!r.done()) {
        const auto [n, wire] = r.tag();
        if (n == number && wire == Wire::bytes) {
            each(r.bytes());
        } else {
            r.skip(wire);
        }
    }
}

/// A TensorShapeProto.Dimension's dim_value; 0 for a symbolic (dim_param) or absent one.
std::int64_t dim_value(std::span<const unsigned char> bytes) {
    std::int64_t value = 0;
    Reader r(bytes);
    while (!r.done()) {
        const auto [number, wire] = r.tag();
        if (number == field::kDimValue && wire == Wire::varint) {
            value = static_cast<std::int64_t>(r.varint());
        } else {
            r.skip(wire);
        }
    }
    return value;
}

/// A graph input or output: its name and, when declared, its dimensions (TypeProto.tensor_type
/// .shape.dim).
std::pair<std::string, std::vector<std::int64_t>> read_value_info(
    std::span<const unsigned char> bytes) {
    std::string name;
    std::vector<std::int64_t> dims;
    Reader r(bytes);
    while (!r.done()) {
        const auto [number, wire] = r.tag();
        if (number == field::kValueName && wire == Wire::bytes) {
            name = r.text();
        } else if (number == field::kValueType && wire == Wire::bytes) {
            for_each_message(r.bytes(), field::kTypeTensor, [&dims](auto tensor) {
                for_each_message(tensor, field::kTensorTypeShape, [&dims](auto shape) {
                    for_each_message(shape, field::kShapeDim,
                                     [&dims](auto dim) { dims.push_back(dim_value(dim)); });
                });
            });
        } else {
            r.skip(wire);
        }
    }
    return {name, dims};
}

std::int64_t read_opset(std::span<const unsigned char> bytes) {
    std::string domain;
    std::int64_t version = 0;
    Reader r(bytes);
    while (!r.done()) {
        const auto [number, wire] = r.tag();
        if (number == field::kOpsetDomain && wire == Wire::bytes) {
            domain = r.text();
        } else if (number == field::kOpsetVersion && wire == Wire::varint) {
            version = static_cast<std::int64_t>(r.varint());
        } else {
            r.skip(wire);
        }
    }
    return domain.empty() || domain == "ai.onnx" ? version : 0;
}

void read_graph(std::span<const unsigned char> bytes, OnnxGraph& graph) {
    std::vector<std::string> weights;
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> inputs;
    Reader r(bytes);
    while (!r.done()) {
        const auto [number, wire] = r.tag();
        if (number == field::kGraphNode) {
            if (graph.nodes.size() >= kMaxNodes) {
                bad(fmt::format("more than {} nodes", kMaxNodes));
            }
            graph.nodes.push_back(read_node(message(r, wire, "a node")));
        } else if (number == field::kGraphInitializer) {
            weights.push_back(read_initializer(message(r, wire, "a weight")));
        } else if (number == field::kGraphInput) {
            inputs.push_back(read_value_info(message(r, wire, "an input")));
        } else if (number == field::kGraphOutput) {
            graph.outputs.push_back(read_value_info(message(r, wire, "an output")).first);
        } else {
            r.skip(wire);
        }
    }
    for (auto& [name, dims] : inputs) {
        if (std::find(weights.begin(), weights.end(), name) == weights.end()) {
            graph.input = name;
            graph.input_shape = std::move(dims);
            break;
        }
    }
}

}  // namespace

OnnxGraph parse_onnx(std::span<const unsigned char> bytes) {
    OnnxGraph graph;
    bool has_graph = false;
    Reader r(bytes);
    while (!r.done()) {
        const auto [number, wire] = r.tag();
        if (number == field::kModelGraph) {
            read_graph(message(r, wire, "the graph"), graph);
            has_graph = true;
        } else if (number == field::kModelOpset && wire == Wire::bytes) {
            const std::int64_t version = read_opset(r.bytes());
            graph.opset = version != 0 ? version : graph.opset;
        } else {
            r.skip(wire);
        }
    }
    if (!has_graph) {
        bad("no graph");
    }
    if (graph.nodes.empty()) {
        bad("a graph without nodes");
    }
    if (graph.input.empty()) {
        bad("a graph without an input");
    }
    return graph;
}

}  // namespace convpool

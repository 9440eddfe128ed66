// model: the stage around its Model (a fake one here: tests/fake_model.hpp), and the ONNX graph
// reader on hand-made protobuf bytes. The real model against PyTorch: tests/cli/test_model.py.
#include "convpool/core/error.hpp"
#include "convpool/io/onnx.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fake_model.hpp"
#include "test_helpers.hpp"

namespace {

convpool::Pipeline pipeline(const std::string& text, int channels = 0) {
    return convpool::Pipeline(text, convpool::Semantics::torch, {},
                              test::fake_model_context(channels));
}

convpool::Tensor run(const std::string& text, const convpool::Tensor& in) {
    const convpool::Pipeline p = pipeline(text);
    (void)p.plan(in.shape());
    return p.run(in, {});
}

// Protobuf fields written by hand (wire types 0 and 2).
std::string varint(std::uint64_t n) {
    std::string out;
    do {
        const auto b = static_cast<unsigned char>(n & 0x7FU);
        n >>= 7U;
        out += static_cast<char>(n != 0 ? (b | 0x80U) : b);
    } while (n != 0);
    return out;
}
std::string field(std::uint64_t number, const std::string& payload) {
    return varint(number << 3U | 2U) + varint(payload.size()) + payload;
}
std::string number_field(std::uint64_t number, std::uint64_t value) {
    return varint(number << 3U) + varint(value);
}
std::vector<unsigned char> bytes(const std::string& s) { return {s.begin(), s.end()}; }

/// A model of one node `name` (op Relu, output `out`) on input `x` declared 1x3x8x8, with a
/// weight `w` of dimensions `dims`.
std::string one_node_model(const std::vector<std::uint64_t>& dims) {
    std::string weight;
    for (const auto d : dims) {
        weight += number_field(1, d);
    }
    weight += field(8, "w");
    std::string shape;
    for (const std::uint64_t d : std::vector<std::uint64_t>{1, 3, 8, 8}) {
        shape += field(1, number_field(1, d));
    }
    const std::string input =
        field(1, "x") + field(2, field(1, number_field(1, 1) + field(2, shape)));
    const std::string node = field(1, "x") + field(2, "out") + field(3, "relu1") + field(4, "Relu");
    const std::string graph = field(1, node) + field(5, weight) + field(11, field(1, "w")) +
                              field(11, input) + field(12, field(1, "out"));
    return number_field(1, 8) + field(8, number_field(2, 13)) + field(7, graph);
}

}  // namespace

TEST_CASE("model runs its model on the tensor, up to the layer output names") {
    const convpool::Tensor in = test::tensor(1, 1, 3, {1, -2, 3});
    CHECK(test::values(run("model:net.onnx", in)) == std::vector<float>{1, -2, 3});
    for (const char* name : {"double", "/double/Mul", "double_out"}) {
        CAPTURE(name);
        CHECK(test::values(run(std::string("model:net.onnx,output=") + name, in)) ==
              std::vector<float>{2, -4, 6});
    }
    CHECK_THROWS_WITH_AS(pipeline("model:net.onnx,output=conv9"),
                         "stage 1 'model:net.onnx,output=conv9': model: output: 'conv9' is "
                         "unknown",
                         convpool::UsageError);
}

TEST_CASE("model normalises (x - mean) / std per channel and swaps R and B first") {
    // Channels R = [1 2], G = [3 4], B = [5 6].
    const convpool::Tensor in = test::tensor(3, 1, 2, {1, 2, 3, 4, 5, 6});
    CHECK(test::values(run("model:net.onnx,mean=[1 2 3],std=[1 2 4]", in)) ==
          std::vector<float>{0, 1, 0.5F, 1, 0.5F, 0.75F});
    CHECK(test::values(run("model:net.onnx,mean=[1],std=[2]", in)) ==
          std::vector<float>{0, 0.5F, 1, 1.5F, 2, 2.5F});
    // swap-rb comes before the normalisation: B - 1, G - 2, R - 3.
    CHECK(test::values(run("model:net.onnx,swap-rb,mean=[1 2 3]", in)) ==
          std::vector<float>{4, 5, 1, 2, -2, -1});
    const convpool::Tensor resized = run("model:net.onnx,size=3x4", in);
    CHECK(resized.shape() == convpool::Shape{3, 3, 4});
}

TEST_CASE("model refuses inputs its model or its parameters do not fit") {
    const convpool::Pipeline three = pipeline("model:net.onnx", 3);
    CHECK(three.plan({3, 5, 5}).back().shape == convpool::Shape{3, 5, 5});
    CHECK_THROWS_WITH_AS((void)three.plan({1, 5, 5}),
                         "stage 1 'model:net.onnx': model: net.onnx takes 3 input channels, the "
                         "input has 1",
                         convpool::ShapeError);
    CHECK_THROWS_WITH_AS((void)pipeline("model:net.onnx,mean=[1 2]").plan({3, 5, 5}),
                         "stage 1 'model:net.onnx,mean=[1 2]': model: mean has 2 values, the "
                         "input has 3 channels",
                         convpool::ShapeError);
    CHECK_THROWS_WITH_AS((void)pipeline("model:net.onnx,swap-rb").plan({1, 5, 5}),
                         "stage 1 'model:net.onnx,swap-rb': model: swap-rb needs 3 channels, "
                         "the input has 1",
                         convpool::ShapeError);
    CHECK_THROWS_WITH_AS(convpool::Pipeline("model:net.onnx"),
                         "stage 1 'model:net.onnx': model: file: model files (net.onnx) are not "
                         "read here",
                         convpool::UsageError);
    CHECK_THROWS_WITH_AS(pipeline("model:net.onnx:x"),
                         doctest::Contains("a model file takes no ':KEY'"), convpool::UsageError);
}

TEST_CASE("model's stage text parses back to the same stage") {
    for (const char* text : {"model:net.onnx", "model:@\"my net, v2.onnx\",output=/double/Mul",
                             "model:net.onnx,mean=[0.5 0.25 0.125],std=[0.5],size=8x6,swap-rb"}) {
        CAPTURE(text);
        const std::string described = pipeline(text).stages().front().describe();
        CHECK(pipeline(described).stages().front().describe() == described);
    }
    CHECK(pipeline("model:@net.onnx").stages().front().describe() == "model:net.onnx");
}

TEST_CASE("the ONNX reader finds nodes, the input that is not a weight, and refuses bad bytes") {
    const convpool::OnnxGraph graph = convpool::parse_onnx(bytes(one_node_model({8, 3, 3, 3})));
    REQUIRE(graph.nodes.size() == 1);
    CHECK(graph.nodes[0].name == "relu1");
    CHECK(graph.nodes[0].op_type == "Relu");
    CHECK(graph.nodes[0].outputs == std::vector<std::string>{"out"});
    CHECK(graph.input == "x");
    CHECK(graph.input_shape == std::vector<std::int64_t>{1, 3, 8, 8});
    CHECK(graph.outputs == std::vector<std::string>{"out"});
    CHECK(graph.opset == 13);

    CHECK_THROWS_WITH_AS((void)convpool::parse_onnx(bytes(one_node_model({1U << 20U, 1U << 20U}))),
                         "weight 'w' declares more than 67108864 values", convpool::InputError);
    const std::string whole = one_node_model({8, 3});
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
        CAPTURE(cut);
        CHECK_THROWS_AS((void)convpool::parse_onnx(bytes(whole.substr(0, cut))),
                        convpool::InputError);
    }
    CHECK_THROWS_WITH_AS((void)convpool::parse_onnx(bytes("\x0f")),
                         "not an ONNX model: wire type 7 at byte 1", convpool::InputError);
    CHECK_THROWS_WITH_AS((void)convpool::parse_onnx(bytes(number_field(1, 8))),
                         "not an ONNX model: no graph", convpool::InputError);
}

// --semantics torch|tf|caffe|onnx: the documented TensorFlow examples, Caffe's ceil and count-pad,
// ONNX's pads ([t l b r], over half the kernel, SAME_LOWER), and that torch stays the default.
#include "convpool/core/error.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "test_helpers.hpp"

using convpool::Pipeline;
using convpool::Semantics;
using test::tensor;
using test::values;

namespace {
std::vector<float> run_with(Semantics s, const std::string& text, const convpool::Tensor& in) {
    const Pipeline p(text, s);
    (void)p.plan(in.shape());
    return values(p.run(in, {}));
}
const convpool::Tensor kRamp6 = tensor(1, 1, 6, {0, 1, 2, 3, 4, 5});
}  // namespace

TEST_CASE("semantics tf: SAME pads the extra cell at the end and avg divides by real cells") {
    // TensorFlow: 1-D input 0..5, k=3, s=2, SAME: pad total max((3-1)*2 + 3 - 6,
    // 0) = 1, at the end. max [2, 4, 5], avg [1, 3, 4.5].
    CHECK(run_with(Semantics::tf, "pool:max,k=1x3,s=1x2,pad=same", kRamp6) ==
          std::vector<float>{2, 4, 5});
    CHECK(run_with(Semantics::tf, "pool:avg,k=1x3,s=1x2,pad=same", kRamp6) ==
          std::vector<float>{1, 3, 4.5});
    // torch semantics counts the padded cell: (4 + 5 + 0) / 3.
    CHECK(run_with(Semantics::torch, "pool:avg,k=1x3,s=1x2,pad=same", kRamp6) ==
          std::vector<float>{1, 3, 3});
    // VALID: no padding, the last cell is dropped.
    CHECK(run_with(Semantics::tf, "pool:avg,k=1x3,s=1x2,pad=valid", kRamp6) ==
          std::vector<float>{1, 3});
}

TEST_CASE("pad=same: the resolved padding is a note of the stage") {
    const auto plan = Pipeline("pool:avg,k=3,s=2,pad=same", Semantics::tf).plan({1, 6, 5});
    REQUIRE(!plan[1].notes.empty());
    CHECK(plan[1].notes[0] == "pad=same: rows 0+1, columns 1+1 (TensorFlow's rule)");
}

TEST_CASE("semantics tf: more TensorFlow SAME examples, 2-D and even kernels") {
    // 2x2 input, k=2, s=1 SAME: out 2x2, pad one row and one column at the end.
    const auto in = tensor(1, 2, 2, {1, 2, 3, 4});
    CHECK(run_with(Semantics::tf, "pool:avg,k=2,s=1,pad=same", in) ==
          std::vector<float>{2.5, 3, 3.5, 4});
    CHECK(run_with(Semantics::tf, "pool:max,k=2,s=1,pad=same", in) ==
          std::vector<float>{4, 4, 4, 4});
    // 1x5, k=2, s=2 SAME: out 3, pad 1 at the end: [0 1] [2 3] [4].
    CHECK(run_with(Semantics::tf, "pool:avg,k=1x2,s=1x2,pad=same",
                   tensor(1, 1, 5, {0, 1, 2, 3, 4})) == std::vector<float>{0.5, 2.5, 4});
}

TEST_CASE("semantics caffe: ceil mode on and padding counted") {
    // Caffe: out = ceil((5 - 2)/2) + 1 = 3, the last window [4] alone.
    const auto in = tensor(1, 1, 5, {1, 2, 3, 4, 5});
    CHECK(run_with(Semantics::caffe, "pool:max,k=1x2", in) == std::vector<float>{2, 4, 5});
    CHECK(run_with(Semantics::torch, "pool:max,k=1x2", in) == std::vector<float>{2, 4});
    // count-pad: k 3, s 2, pad 1 on 1..5: [p 1 2]/3, [2 3 4]/3, [4 5 p]/3.
    CHECK(run_with(Semantics::caffe, "pool:avg,k=1x3,s=1x2,pad=0x1", in) ==
          std::vector<float>{1, 3, 3});
    // An explicit parameter still wins.
    CHECK(run_with(Semantics::caffe, "pool:max,k=1x2,ceil=false", in) == std::vector<float>{2, 4});
}

TEST_CASE("semantics are visible in the stage description") {
    CHECK(Pipeline("pool:avg,k=2", Semantics::tf).stages()[0].describe() ==
          "pool:avg,k=2,s=2,pad=0,dilation=1,ceil=false,count-pad=false,divisor=0");
    CHECK(Pipeline("pool:avg,k=2", Semantics::caffe).stages()[0].describe() ==
          "pool:avg,k=2,s=2,pad=0,dilation=1,ceil=true,count-pad=true,divisor=0");
    CHECK(Pipeline("pool:avg,k=2").stages()[0].describe() ==
          "pool:avg,k=2,s=2,pad=0,dilation=1,ceil=false,count-pad=true,divisor=0");
    // Non-pool stages are untouched.
    CHECK(Pipeline("conv:box", Semantics::caffe).stages()[0].describe() ==
          Pipeline("conv:box").stages()[0].describe());
}

TEST_CASE("semantics names") {
    CHECK(convpool::parse_semantics("tf") == Semantics::tf);
    CHECK(std::string(convpool::semantics_name(Semantics::caffe)) == "caffe");
    CHECK_THROWS_WITH_AS((void)convpool::parse_semantics("keras"),
                         "unknown semantics 'keras' (choose from torch, tf, caffe, onnx)",
                         convpool::UsageError);
}

TEST_CASE("semantics onnx: pads over half the kernel, refused under torch") {
    // 1..5 padded with 2 cells each side, k=3, s=1: [p p 1] [p 1 2] [1 2 3] ... [5 p p].
    const auto in = tensor(1, 1, 5, {1, 2, 3, 4, 5});
    CHECK(run_with(Semantics::onnx, "pool:max,k=1x3,s=1,pad=0x2", in) ==
          std::vector<float>{1, 2, 3, 4, 5, 5, 5});
    // AveragePool's count_include_pad=0 is onnx's default: the real cells only.
    CHECK(run_with(Semantics::onnx, "pool:avg,k=1x3,s=1,pad=0x2", in) ==
          std::vector<float>{1, 1.5, 2, 3, 4, 4.5, 5});
    // count_include_pad=1: [p p 1] is 1/3.
    CHECK(run_with(Semantics::onnx, "pool:avg,k=1x3,s=1,pad=0x2,count-pad=true", in) ==
          std::vector<float>{1.0F / 3, 1, 2, 3, 4, 3, 5.0F / 3});
    for (const Semantics s : {Semantics::torch, Semantics::tf, Semantics::caffe}) {
        CHECK_THROWS_WITH_AS(Pipeline("pool:max,k=1x3,s=1,pad=0x2", s),
                             "stage 1 'pool:max,k=1x3,s=1,pad=0x2': pool:max: pad 0x2 is more "
                             "than half the kernel 1x3 (at most 0x1; --semantics onnx allows more)",
                             convpool::UsageError);
    }
    // One side over half is enough to refuse.
    CHECK_THROWS_AS(Pipeline("pool:max,k=3,pad=[0 0 2 0]"), convpool::UsageError);
    CHECK(Pipeline("pool:avg,k=2", Semantics::onnx).stages()[0].describe() ==
          "pool:avg,k=2,s=2,pad=0,dilation=1,ceil=false,count-pad=false,divisor=0");
}

TEST_CASE("pad=[t l b r]: asymmetric padding of pools and convolutions") {
    // 3x3 of 1..9, k=2, s=1, one row on top and one column on the right:
    // rows [p r0] [r0 r1] [r1 r2], columns [c0 c1] [c1 c2] [c2 p].
    const auto in = tensor(1, 3, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(run_with(Semantics::torch, "pool:max,k=2,s=1,pad=[1 0 0 1]", in) ==
          std::vector<float>{2, 3, 3, 5, 6, 6, 8, 9, 9});
    CHECK(run_with(Semantics::torch, "pool:avg,k=2,s=1,pad=[1 0 0 1]", in) ==
          std::vector<float>{0.75, 1.25, 0.75, 3, 4, 2.25, 6, 7, 3.75});
    CHECK(run_with(Semantics::onnx, "pool:avg,k=2,s=1,pad=[1 0 0 1]", in) ==
          std::vector<float>{1.5, 2.5, 3, 3, 4, 4.5, 6, 7, 7.5});
    // conv: [0 | 1 2 3] with the kernel [1 1]: 1, 3, 5.
    const auto row = tensor(1, 1, 3, {1, 2, 3});
    CHECK(run_with(Semantics::onnx, "conv:kernel=[1 1],pad=[0 1 0 0],border=zero", row) ==
          std::vector<float>{1, 3, 5});
    // The stage text writes the four values and parses back.
    const std::string text = Pipeline("pool:max,k=3,pad=[1 0 0 1]").stages()[0].describe();
    CHECK(text == "pool:max,k=3,s=3,pad=[1 0 0 1],dilation=1,ceil=false");
    CHECK(Pipeline(text).stages()[0].describe() == text);
}

TEST_CASE("pad=same-lower: the odd padding cell first (ONNX's SAME_LOWER)") {
    // 0..5, k=3, s=2: one cell of padding in all; lower: [p 0 1] [1 2 3] [3 4 5].
    CHECK(run_with(Semantics::onnx, "pool:max,k=1x3,s=1x2,pad=same-lower", kRamp6) ==
          std::vector<float>{1, 3, 5});
    CHECK(run_with(Semantics::onnx, "pool:avg,k=1x3,s=1x2,pad=same-lower", kRamp6) ==
          std::vector<float>{0.5, 2, 4});
    // same and same-upper are TensorFlow's rule: [0 1 2] [2 3 4] [4 5 p].
    CHECK(run_with(Semantics::onnx, "pool:max,k=1x3,s=1x2,pad=same-upper", kRamp6) ==
          std::vector<float>{2, 4, 5});
    CHECK(Pipeline("pool:max,k=1x3,pad=same-upper").stages()[0].describe() ==
          Pipeline("pool:max,k=1x3,pad=same").stages()[0].describe());
    // conv, k=2: lower pads [0 | 1 2 3], upper [1 2 3 | 0].
    const auto row = tensor(1, 1, 3, {1, 2, 3});
    CHECK(run_with(Semantics::torch, "conv:kernel=[1 1],pad=same-lower,border=zero", row) ==
          std::vector<float>{1, 3, 5});
    CHECK(run_with(Semantics::torch, "conv:kernel=[1 1],pad=same-upper,border=zero", row) ==
          std::vector<float>{3, 5, 3});
    const auto plan = Pipeline("pool:avg,k=3,s=2,pad=same-lower").plan({1, 6, 5});
    REQUIRE(!plan[1].notes.empty());
    CHECK(plan[1].notes[0] ==
          "pad=same-lower: rows 1+0, columns 1+1 (ONNX's SAME_LOWER: the extra cell first)");
    CHECK(Pipeline("pool:avg,k=3,pad=same-lower").stages()[0].describe() ==
          "pool:avg,k=3,s=3,pad=same-lower,dilation=1,ceil=false,count-pad=true,divisor=0");
}

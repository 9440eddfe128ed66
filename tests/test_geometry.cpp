// Output-size arithmetic, checked against values worked out from PyTorch's formula by hand.
#include "convpool/core/geometry.hpp"

#include <doctest/doctest.h>

using convpool::Axis;
using convpool::output_extent;

namespace {
Axis axis(int k, int s, int p, int d = 1, bool ceil = false) { return {k, s, p, p, d, ceil}; }
}  // namespace

TEST_CASE("output_extent: floor mode") {
    CHECK(output_extent(4, axis(2, 2, 0)) == 2);
    CHECK(output_extent(5, axis(2, 2, 0)) == 2);
    CHECK(output_extent(224, axis(3, 2, 1)) == 112);
    CHECK(output_extent(7, axis(3, 1, 0, 2)) == 3);  // effective kernel 5
    CHECK(output_extent(1, axis(1, 1, 0)) == 1);
}

TEST_CASE("output_extent: kernel larger than the padded input gives no window") {
    CHECK(output_extent(4, axis(5, 1, 0)) <= 0);
    CHECK(output_extent(3, axis(3, 1, 0, 2)) <= 0);
    CHECK(output_extent(3, axis(5, 1, 1)) == 1);
}

TEST_CASE("output_extent: ceil mode adds a partial window") {
    CHECK(output_extent(5, axis(2, 2, 0, 1, true)) == 3);
    CHECK(output_extent(224, axis(3, 2, 1, 1, true)) == 113);
    CHECK(output_extent(4, axis(3, 2, 0, 1, true)) == 2);
}

TEST_CASE("output_extent: ceil mode accepts a window longer than the padded input, as PyTorch") {
    // torch max_pool2d(ones(1,1,2,2), 3, 2, ceil_mode=True) has shape 1x1.
    CHECK(output_extent(2, axis(3, 2, 0, 1, true)) == 1);
    CHECK(output_extent(2, axis(3, 2, 0, 1, false)) == 0);
    CHECK(output_extent(1, axis(5, 2, 0, 1, true)) == 0);  // floor((1-5+1)/2)+1 = -1
}

TEST_CASE("output_extent: ceil rule drops a window that would start in the right padding") {
    // in 5, k 2, s 2, pad 1: ceil(5/2)+1 = 4, but (4-1)*2 = 6 >= 5+1, so 3.
    CHECK(output_extent(5, axis(2, 2, 1, 1, true)) == 3);
    // in 6, k 3, s 3, pad 1: ceil(5/3)+1 = 3, (3-1)*3 = 6 >= 7? no -> 3 stays.
    CHECK(output_extent(6, axis(3, 3, 1, 1, true)) == 3);
    CHECK(output_extent(2, axis(2, 2, 1, 1, true)) == 2);
}

TEST_CASE("axis_coverage reports the ceil rule and uncovered input cells") {
    const auto dropped = convpool::axis_coverage(5, axis(2, 2, 1, 1, true));
    CHECK(dropped.out == 3);
    CHECK(dropped.ceil_dropped);
    CHECK_FALSE(dropped.ceil_added);  // floor mode also gives 3
    const auto added = convpool::axis_coverage(5, axis(2, 2, 0, 1, true));
    CHECK(added.ceil_added);
    CHECK_FALSE(added.ceil_dropped);
    CHECK(convpool::axis_coverage(5, axis(2, 2, 0)).uncovered_end == 1);
    CHECK(convpool::axis_coverage(9, axis(3, 3, 0)).uncovered_end == 0);
}

TEST_CASE("same_padding follows TensorFlow: out = ceil(in/s), extra cell at the end") {
    // 1-D input of 6, k 3, s 2: out 3, total pad (3-1)*2+3-6 = 1 -> 0 before, 1 after.
    const Axis a = convpool::same_padding(6, axis(3, 2, 0));
    CHECK(a.pad_begin == 0);
    CHECK(a.pad_end == 1);
    CHECK(output_extent(6, a) == 3);
    const Axis b = convpool::same_padding(5, axis(3, 1, 0));
    CHECK(b.pad_begin == 1);
    CHECK(b.pad_end == 1);
    const Axis c = convpool::same_padding(4, axis(1, 3, 0));
    CHECK(c.pad_begin + c.pad_end == 0);
    CHECK(output_extent(4, c) == 2);
}

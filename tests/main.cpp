// doctest main: every test case is in a test_<module>.cpp file. Like the CLI, the test runner
// can be the decoding child of decode_image (it starts /proc/self/exe).
#define DOCTEST_CONFIG_IMPLEMENT  // NOLINT(readability-identifier-naming): doctest's switch
#include "convpool/io/conv_plugin.hpp"
#include "convpool/io/image_io.hpp"

#include <doctest/doctest.h>

#include <string_view>

int main(int argc, char** argv) {
    if (argc == 2 && std::string_view(argv[1]) == convpool::kDecodeChildArgument) {
        return convpool::decode_child_main();
    }
    convpool::use_conv_plugin();  // conv:weights through oneDNN, as the CLI runs it
    return doctest::Context(argc, argv).run();
}

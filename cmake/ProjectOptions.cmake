# convpool_warnings and convpool_options: INTERFACE targets linked PRIVATE to every target.
add_library(convpool_warnings INTERFACE)
target_compile_options(convpool_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
  -Wnon-virtual-dtor -Woverloaded-virtual -Wnull-dereference -Wdouble-promotion -Wformat=2
  -Wimplicit-fallthrough
  # Designated initializers leave defaulted members out on purpose (ParamSpec, OpInfo).
  -Wno-missing-field-initializers
  $<$<CXX_COMPILER_ID:GNU>:-Wduplicated-cond -Wlogical-op -Wsuggest-override>)
if(CONVPOOL_WARNINGS_AS_ERRORS)
  target_compile_options(convpool_warnings INTERFACE -Werror)
endif()

add_library(convpool_options INTERFACE)
if(CONVPOOL_SANITIZE)
  target_compile_options(convpool_options INTERFACE
    -fsanitize=${CONVPOOL_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(convpool_options INTERFACE -fsanitize=${CONVPOOL_SANITIZE})
endif()
if(CONVPOOL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CONVPOOL_FUZZ needs clang (libFuzzer): use the fuzz preset")
  endif()
  target_compile_options(convpool_options INTERFACE -fsanitize=fuzzer-no-link)
endif()

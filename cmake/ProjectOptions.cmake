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

# CONVPOOL_CLANG_TIDY: clang-tidy (the root .clang-tidy) runs beside the compiler on every source
# of the targets given to convpool_clang_tidy(); any finding is an error. Not on third-party code
# or the fuzz targets.
if(CONVPOOL_CLANG_TIDY)
  find_program(CONVPOOL_CLANG_TIDY_EXE NAMES clang-tidy-14 clang-tidy REQUIRED)
  # GCC-only warning flags (-Wlogical-op...) are unknown to clang-tidy's clang.
  set(CONVPOOL_CLANG_TIDY_COMMAND ${CONVPOOL_CLANG_TIDY_EXE} --quiet --warnings-as-errors=*
      --extra-arg=-Wno-unknown-warning-option)
endif()
function(convpool_clang_tidy)
  if(CONVPOOL_CLANG_TIDY)
    set_target_properties(${ARGN} PROPERTIES CXX_CLANG_TIDY "${CONVPOOL_CLANG_TIDY_COMMAND}")
  endif()
endfunction()


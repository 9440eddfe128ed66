# docs/ops.md must be exactly what `convpool ops --markdown` prints.
# cmake -DCONVPOOL=path/to/convpool -DOPS_MD=path/to/docs/ops.md -P check_ops_md.cmake
execute_process(COMMAND ${CONVPOOL} ops --markdown OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "convpool ops --markdown exited with ${rc}")
endif()
file(READ ${OPS_MD} committed)
if(NOT generated STREQUAL committed)
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/ops.md.generated "${generated}")
  message(FATAL_ERROR "docs/ops.md differs from `convpool ops --markdown` "
          "(see diff ${OPS_MD} ${CMAKE_CURRENT_BINARY_DIR}/ops.md.generated).\n"
          "Regenerate it: build/dev/convpool ops --markdown > docs/ops.md")
endif()

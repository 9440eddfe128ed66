# `cmake --install BUILD --prefix P`: P/bin/convpool, the man pages, the shell completions and
# the docs, under the GNU directories (cmake/package.cmake packs the same files into a .deb). The man pages and completions are generated at build
# time by the binary itself (`convpool help --man DIR`, `convpool help --completion SHELL`),
# from the same declarations as --help; tests/docs/check_man.cmake compares them with docs/man/.
include(GNUInstallDirs)

set(CONVPOOL_MAN_DIR ${PROJECT_BINARY_DIR}/man)
add_custom_command(
  OUTPUT ${CONVPOOL_MAN_DIR}/convpool.1
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${CONVPOOL_MAN_DIR}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CONVPOOL_MAN_DIR}
  COMMAND convpool help --man ${CONVPOOL_MAN_DIR}
  # Installed gzipped, as Debian wants them (man and mandoc read them so): -n leaves the name
  # and time out, so the same page gives the same bytes.
  COMMAND sh -c "for f in \"$1\"/*.[17]; do gzip -9n < \"$f\" > \"$f.gz\" || exit 1; done"
          sh ${CONVPOOL_MAN_DIR}
  DEPENDS convpool
  COMMENT "Generating the man pages" VERBATIM)
add_custom_target(convpool_man ALL DEPENDS ${CONVPOOL_MAN_DIR}/convpool.1)

set(CONVPOOL_COMPLETION_DIR ${PROJECT_BINARY_DIR}/completion)
set(completions bash/convpool zsh/_convpool fish/convpool.fish)
list(TRANSFORM completions PREPEND ${CONVPOOL_COMPLETION_DIR}/ OUTPUT_VARIABLE completion_files)
add_custom_command(
  OUTPUT ${completion_files}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CONVPOOL_COMPLETION_DIR}/bash
          ${CONVPOOL_COMPLETION_DIR}/zsh ${CONVPOOL_COMPLETION_DIR}/fish
  COMMAND sh -c "\"$1\" help --completion bash > \"$2\"/bash/convpool" sh $<TARGET_FILE:convpool> ${CONVPOOL_COMPLETION_DIR}
  COMMAND sh -c "\"$1\" help --completion zsh > \"$2\"/zsh/_convpool" sh $<TARGET_FILE:convpool> ${CONVPOOL_COMPLETION_DIR}
  COMMAND sh -c "\"$1\" help --completion fish > \"$2\"/fish/convpool.fish" sh $<TARGET_FILE:convpool> ${CONVPOOL_COMPLETION_DIR}
  DEPENDS convpool
  COMMENT "Generating the shell completions" VERBATIM)
add_custom_target(convpool_completion ALL DEPENDS ${completion_files})

install(TARGETS convpool RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The model plugin (OpenCV dnn), found from the executable as ../lib/convpool/convpool-onnx.so.
install(TARGETS convpool_onnx LIBRARY DESTINATION lib/convpool)
# The convolution plugin (oneDNN), beside it; dpkg-shlibdeps adds libdnnl2 to Depends.
if(CONVPOOL_HAVE_DNNL)
  install(TARGETS convpool_dnnl LIBRARY DESTINATION lib/convpool)
endif()
# The figure plugin (cairo); dpkg-shlibdeps adds libcairo2 to Depends, and the package depends on
# fonts-dejavu-core for its font (packaging/).
if(CONVPOOL_HAVE_CAIRO)
  install(TARGETS convpool_cairo LIBRARY DESTINATION lib/convpool)
endif()
install(FILES ${CONVPOOL_COMPLETION_DIR}/bash/convpool
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${CONVPOOL_COMPLETION_DIR}/zsh/_convpool
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
install(FILES ${CONVPOOL_COMPLETION_DIR}/fish/convpool.fish
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
install(DIRECTORY ${CONVPOOL_MAN_DIR}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        FILES_MATCHING PATTERN "*.1.gz")
install(DIRECTORY ${CONVPOOL_MAN_DIR}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man7
        FILES_MATCHING PATTERN "*.7.gz")
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        PATTERN "man" EXCLUDE)

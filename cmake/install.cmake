# `cmake --install BUILD --prefix P`: P/bin/convpool, the man pages, the shell completions and
# the docs, under the GNU directories. The man pages and completions are generated at build
# time by the binary itself (`convpool help --man DIR`, `convpool help --completion SHELL`),
# from the same declarations as --help; tests/docs/check_man.cmake compares them with docs/man/.
include(GNUInstallDirs)

set(CONVPOOL_MAN_DIR ${PROJECT_BINARY_DIR}/man)
add_custom_command(
  OUTPUT ${CONVPOOL_MAN_DIR}/convpool.1
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${CONVPOOL_MAN_DIR}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CONVPOOL_MAN_DIR}
  COMMAND convpool help --man ${CONVPOOL_MAN_DIR}
  DEPENDS convpool
  COMMENT "Generating the man pages" VERBATIM)
add_custom_target(convpool_man ALL DEPENDS ${CONVPOOL_MAN_DIR}/convpool.1)

install(TARGETS convpool RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CONVPOOL_MAN_DIR}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        FILES_MATCHING PATTERN "*.1")
install(DIRECTORY ${CONVPOOL_MAN_DIR}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man7
        FILES_MATCHING PATTERN "*.7")
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        PATTERN "man" EXCLUDE)

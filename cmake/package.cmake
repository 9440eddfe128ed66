# The Debian package, convpool_<version>_amd64.deb, made by CPack from the same `install()` rules
# as `cmake --install` (cmake/install.cmake), under /usr:
#   cpack --config build/<preset>/CPackConfig.cmake -B build/<preset>/packaging
# tests/packaging/ installs it on a fresh Debian 12 root and in a container (ctest -L packaging).

# What Debian wants beside the program in /usr/share/doc/<package>: a copyright file and a
# gzipped changelog (the project's history is its git log; this says which version it is).
set(CONVPOOL_MAINTAINER "convpool maintainers <convpool@users.noreply.github.com>")
# The changelog's date is the release date (CMakeLists.txt), so that the package is the same
# whenever it is built; Debian wants it as RFC 2822, with the day of the week (Zeller's rule).
string(REGEX MATCH "^([0-9]+)-([0-9]+)-([0-9]+)$" _date "${CONVPOOL_RELEASE_DATE}")
set(_year ${CMAKE_MATCH_1})
math(EXPR _month "${CMAKE_MATCH_2}")
math(EXPR _day "${CMAKE_MATCH_3}")
set(_months Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec)
math(EXPR _i "${_month} - 1")
list(GET _months ${_i} _month_name)
set(_y ${_year})
set(_m ${_month})
if(_m LESS 3)  # January and February count as months 13 and 14 of the year before
  math(EXPR _m "${_m} + 12")
  math(EXPR _y "${_y} - 1")
endif()
math(EXPR _weekday "(${_day} + (13 * (${_m} + 1)) / 5 + ${_y} + ${_y} / 4 - ${_y} / 100 + ${_y} / 400) % 7")
set(_days Sat Sun Mon Tue Wed Thu Fri)
list(GET _days ${_weekday} _day_name)
set(CONVPOOL_CHANGELOG_DATE "${_day_name}, ${CMAKE_MATCH_3} ${_month_name} ${_year} 00:00:00 +0000")
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in ${PROJECT_BINARY_DIR}/packaging/changelog
               @ONLY)
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/packaging/changelog.gz
  COMMAND sh -c "gzip -9n < changelog > changelog.gz"
  DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog
  WORKING_DIRECTORY ${PROJECT_BINARY_DIR}/packaging VERBATIM)
add_custom_target(convpool_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog.gz)
# `cmake --install` into a prefix installs them too: two small files beside the README.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${PROJECT_BINARY_DIR}/packaging/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME convpool)
set(CPACK_PACKAGE_VENDOR "convpool")
set(CPACK_PACKAGE_CONTACT "${CONVPOOL_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "see and measure what convolution and pooling do to images")
# The extended description: lines under 80 columns, none starting with a dot (Debian's rules).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "convpool runs a pipeline of convolution, activation and pooling stages on\n\
images and writes what each stage made: pictures, contact sheets, statistics,\n\
NumPy arrays, and JSON, CSV and HTML reports. Its compare and probe\n\
subcommands measure pooling modes: shift and noise robustness, information\n\
loss and compression.")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # convpool_<version>_<arch>.deb
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the debug info stays in the build tree
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
# Depends: dpkg-shlibdeps finds the libraries the binary links (libopencv-core406, libpng16-16,
# libstdc++6, ...). It cannot see OpenCV's imgcodecs, which io/decoders.cpp loads with dlopen by
# its soname (TIFF, WebP, BMP, PNM): without this line `apt-get install` would leave it out and
# those inputs would fail. Its package is the one that ships the library built against, looked
# up here with dpkg (libopencv-imgcodecs406 on Debian 12), at that OpenCV version or newer.
get_target_property(_imgcodecs_lib opencv_imgcodecs IMPORTED_LOCATION_RELEASE)
set(CONVPOOL_IMGCODECS_PACKAGE "" CACHE STRING
    "Debian package of OpenCV's imgcodecs (empty: ask dpkg which package holds its soname)")
set(_imgcodecs_package "${CONVPOOL_IMGCODECS_PACKAGE}")
if(NOT _imgcodecs_package)
  execute_process(COMMAND dpkg-query -S "${_imgcodecs_lib}"
                  OUTPUT_VARIABLE _owner OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _rc ERROR_QUIET)
  if(_rc EQUAL 0)
    string(REGEX REPLACE "^([^:,]+).*" "\\1" _imgcodecs_package "${_owner}")
  endif()
endif()
if(_imgcodecs_package)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${_imgcodecs_package} (>= ${OpenCV_VERSION})")
else()
  message(STATUS "convpool: no Debian package holds ${_imgcodecs_lib}; the .deb's "
                 "Depends will lack OpenCV's imgcodecs (set CONVPOOL_IMGCODECS_PACKAGE)")
endif()
# The figure plugin (convpool-cairo.so: cairo, whose library dpkg-shlibdeps finds) asks fontconfig
# for DejaVu Sans, a font file no library links: its package is named here.
if(CONVPOOL_HAVE_CAIRO)
  if(CPACK_DEBIAN_PACKAGE_DEPENDS)
    string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", fonts-dejavu-core")
  else()
    set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-dejavu-core")
  endif()
endif()
# The Python module (cmake/python.cmake) is Recommended, not Depended on: the program is the
# package's point and needs no Python (the container installs without Recommends and stays
# small). The module is built for one Python version (its extension suffix names it), so the
# relation names that version; numpy is what run() takes and gives.
if(CONVPOOL_PYTHON_BUILD)
  execute_process(COMMAND ${CONVPOOL_PYTHON_EXECUTABLE} -c
                  "import sys; print('%d.%d %d.%d' % (sys.version_info[:2] + (sys.version_info[0], sys.version_info[1] + 1)))"
                  OUTPUT_VARIABLE _pyver OUTPUT_STRIP_TRAILING_WHITESPACE)
  separate_arguments(_pyver)
  list(GET _pyver 0 _py_this)
  list(GET _pyver 1 _py_next)
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
      "python3 (>= ${_py_this}), python3 (<< ${_py_next}), python3-numpy")
endif()
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
include(CPack)

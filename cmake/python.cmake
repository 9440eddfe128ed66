# The Python module `convpool` (src/python/, python/convpool/): built by default when pybind11
# (Debian's pybind11-dev) and the development files of the system's Python 3 (python3-dev) are
# found; CONVPOOL_PYTHON=OFF leaves it out. Not with sanitizers: an ASan-built extension cannot
# be loaded into an uninstrumented python3 (the asan preset skips it).
#
# The interpreter is the system's python3 (the one Debian's python3-numpy is for), not one first
# on PATH (pyenv, a venv): set CONVPOOL_PYTHON_EXECUTABLE to build for another. It is asked for
# its headers, extension suffix and package folder with sysconfig, so FindPython3 is left to the
# tests (whose interpreter stays whatever they find).
option(CONVPOOL_PYTHON "Build the Python module convpool when pybind11 and Python headers exist" ON)
set(CONVPOOL_PYTHON_BUILD OFF)
if(CONVPOOL_PYTHON AND CONVPOOL_SANITIZE)
  message(STATUS "convpool: Python module left out: a sanitizer build cannot be loaded into python3")
elseif(CONVPOOL_PYTHON)
  find_program(CONVPOOL_PYTHON_EXECUTABLE NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  find_program(CONVPOOL_PYTHON_EXECUTABLE NAMES python3)
  set(PYBIND11_NOPYTHON ON)  # headers only: the interpreter is looked up here
  find_package(pybind11 2.6 CONFIG QUIET)
  if(CONVPOOL_PYTHON_EXECUTABLE)
    # Headers, extension suffix, and the package folder below the prefix: Debian's own scheme
    # (deb_system: lib/python3/dist-packages) where there is one, else posix_prefix
    # (lib/python3.X/site-packages).
    execute_process(
      COMMAND ${CONVPOOL_PYTHON_EXECUTABLE} -c
        "import sysconfig as s; n = s.get_scheme_names(); k = 'deb_system' if 'deb_system' in n else 'posix_prefix'; print(s.get_config_var('INCLUDEPY')); print(s.get_config_var('EXT_SUFFIX')); print(s.get_path('platlib', k, vars={'platbase': '', 'base': ''}).lstrip('/'))"
      OUTPUT_VARIABLE _py RESULT_VARIABLE _py_rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_py_rc EQUAL 0)
      string(REPLACE "\n" ";" _py "${_py}")
      list(GET _py 0 CONVPOOL_PYTHON_INCLUDE)
      list(GET _py 1 CONVPOOL_PYTHON_SUFFIX)
      list(GET _py 2 _py_dir)
      set(CONVPOOL_PYTHON_INSTALL_DIR "${_py_dir}" CACHE STRING
          "Where `cmake --install` puts the module, below the prefix")
    endif()
  endif()
  if(pybind11_FOUND AND CONVPOOL_PYTHON_INCLUDE AND EXISTS "${CONVPOOL_PYTHON_INCLUDE}/Python.h")
    set(CONVPOOL_PYTHON_BUILD ON)
    # The libraries go into a shared object: position-independent code.
    set(CMAKE_POSITION_INDEPENDENT_CODE ON)
    message(STATUS "convpool: Python module for ${CONVPOOL_PYTHON_EXECUTABLE}, installed in "
                   "<prefix>/${CONVPOOL_PYTHON_INSTALL_DIR}")
  else()
    message(STATUS "convpool: Python module left out (needs pybind11-dev and python3-dev)")
  endif()
endif()

# The build rules shared by the course repository's CMakeLists.txt and by every released
# handout's (`dlsys release` copies this file verbatim). Include it after project(), then
# declare each native module with
#   dlsys_cpp_module(<name> <dest dir> <sources...>)
#   dlsys_cuda_module(<name> <dest dir> <sources...>)
# where <dest dir> is the folder Python imports the module from.

set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release)
endif()

find_package(Python REQUIRED COMPONENTS Interpreter Development.Module)
# pybind11 comes from -Dpybind11_DIR=... or pip's build environment (scikit-build-core
# puts it on CMAKE_PREFIX_PATH) when given; otherwise, as in a plain cmake build without
# pip (the grading sandbox), from the Python found above, which says where its own lives.
execute_process(COMMAND "${Python_EXECUTABLE}" -m pybind11 --cmakedir
                OUTPUT_VARIABLE dlsys_pybind11_cmakedir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
find_package(pybind11 CONFIG QUIET HINTS "${dlsys_pybind11_cmakedir}")
if(NOT pybind11_FOUND)
  message(FATAL_ERROR "pybind11 not found for ${Python_EXECUTABLE}: install it with "
                      "`${Python_EXECUTABLE} -m pip install pybind11`, or pass -Dpybind11_DIR=<its cmake dir>.")
endif()

# CUDA modules are built whenever a CUDA compiler exists, GPU or not. The
# architectures are fixed (never probed from a GPU, which the build machine may
# lack): Ampere and Hopper, the course's GPUs. Override with
# -DCMAKE_CUDA_ARCHITECTURES=... (e.g. through CMAKE_ARGS). A build that declares no
# CUDA module (a handout before hw3) sets DLSYS_CUDA to OFF before including this file:
# looking for a CUDA compiler costs seconds on every configure.
if(NOT DEFINED DLSYS_CUDA OR DLSYS_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
endif()
if(CMAKE_CUDA_COMPILER)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
    set(CMAKE_CUDA_ARCHITECTURES 80 90)
  endif()
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  message(STATUS "dlsys: CUDA modules enabled (architectures ${CMAKE_CUDA_ARCHITECTURES})")
else()
  message(STATUS "dlsys: no CUDA compiler found (or DLSYS_CUDA is OFF), CUDA modules skipped")
endif()

# Put a module where Python imports it from: into the wheel when scikit-build-core
# builds one, next to its sources otherwise (an editable install, or a plain
# `cmake -S . -B build && cmake --build build`, as the grader builds handouts).
function(dlsys_place_module target dest)
  if(SKBUILD AND NOT SKBUILD_STATE STREQUAL "editable")
    install(TARGETS ${target} LIBRARY DESTINATION ${dest})
  else()
    set_target_properties(${target} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${dest})
  endif()
endfunction()

# C++ modules are compiled for the CPU that builds them (-march=native): handouts are built
# where they run (a student's machine, the grading sandbox), and the CPU backend's kernels
# need the machine's vector width to be fast. -DDLSYS_NATIVE_ARCH=OFF builds portable code.
option(DLSYS_NATIVE_ARCH "compile C++ modules with -march=native" ON)
if(DLSYS_NATIVE_ARCH)
  include(CheckCXXCompilerFlag)
  check_cxx_compiler_flag(-march=native DLSYS_HAS_MARCH_NATIVE)
endif()
# OpenMP spreads the CPU backend's loops over the cores; without it they run on one.
find_package(OpenMP COMPONENTS CXX)

# The build target of module <name>: <name> itself, unless an earlier homework already took
# that name (hw3 and hw4 both build ndarray_backend_cpu in the course repository); then the
# target is named after the folder too. A handout holds one homework, so there (and in the
# grading sandbox, which builds handouts) every target is the module's own name.
function(dlsys_module_target name dest out)
  if(TARGET ${name})
    string(MAKE_C_IDENTIFIER "${name}_${dest}" target)
  else()
    set(target ${name})
  endif()
  set(${out} ${target} PARENT_SCOPE)
endfunction()

# A C++ pybind11 module: dlsys_cpp_module(<name> <dest dir> <sources...>)
function(dlsys_cpp_module name dest)
  dlsys_module_target(${name} ${dest} target)
  pybind11_add_module(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${name})
  target_compile_options(${target} PRIVATE -O3 -fopenmp-simd -Wall)
  if(DLSYS_HAS_MARCH_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
  if(OpenMP_CXX_FOUND)
    target_link_libraries(${target} PRIVATE OpenMP::OpenMP_CXX)
  endif()
  dlsys_place_module(${target} ${dest})
endfunction()

# A CUDA pybind11 module, skipped without a CUDA compiler. The runtime is linked
# statically so the module imports on machines without libcudart.
function(dlsys_cuda_module name dest)
  if(NOT CMAKE_CUDA_COMPILER)
    return()
  endif()
  dlsys_module_target(${name} ${dest} target)
  pybind11_add_module(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${name})
  target_link_libraries(${target} PRIVATE CUDA::cudart_static)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-O3>)
  dlsys_place_module(${target} ${dest})
endfunction()

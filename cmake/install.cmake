# Installation: the shared and static libraries, the public headers, the CLI, a CMake package
# (find_package(sweepmux) -> sweepmux::sweepmux, sweepmux::sweepmux_static) and a pkg-config file.
#
# Included by the top-level CMakeLists.txt after the targets exist. Everything installed is
# relocatable: the CMake package finds its prefix from its own location (PACKAGE_PREFIX_DIR) and
# the .pc file from ${pcfiledir}, so `cmake --install build --prefix ANYWHERE` works without
# reconfiguring.
include(CMakePackageConfigHelpers)

set(SMX_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/sweepmux CACHE STRING
    "Where the CMake package files of sweepmux are installed, relative to the prefix")
set(SMX_PKGCONFIG_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig CACHE STRING
    "Where sweepmux.pc is installed, relative to the prefix")
mark_as_advanced(SMX_CMAKE_INSTALL_DIR SMX_PKGCONFIG_INSTALL_DIR)

# The headers' version macros must be the project's version, or the package would lie about
# what it contains; fail at configure time rather than ship a mismatch.
file(STRINGS ${PROJECT_SOURCE_DIR}/include/sweepmux/common.h _smx_version_line
     REGEX "^#define SMX_VERSION_STRING ")
string(REGEX REPLACE ".*\"(.*)\".*" "\\1" _smx_header_version "${_smx_version_line}")
if(NOT _smx_header_version STREQUAL PROJECT_VERSION)
  message(FATAL_ERROR "include/sweepmux/common.h says SMX_VERSION_STRING \"${_smx_header_version}\" "
                      "but project() says ${PROJECT_VERSION}: make them agree")
endif()

# The shared library is the one most programs should use: its interface carries only MPI, since
# HDF5, libyaml and pthread are private implementation details resolved by the .so itself.
install(TARGETS sweepmux sweepmux_static
  EXPORT sweepmuxTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

# The CLI links the static library, so the installed binary needs no RPATH to find libsweepmux.
install(TARGETS sweepmux_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

install(FILES ${PROJECT_SOURCE_DIR}/include/sweepmux.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/sweepmux
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev FILES_MATCHING PATTERN "*.h")

install(EXPORT sweepmuxTargets
  NAMESPACE sweepmux::
  FILE sweepmuxTargets.cmake
  DESTINATION ${SMX_CMAKE_INSTALL_DIR} COMPONENT dev)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/sweepmuxConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sweepmuxConfig.cmake
  INSTALL_DESTINATION ${SMX_CMAKE_INSTALL_DIR})
# Until 1.0 a minor release may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sweepmuxConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sweepmuxConfig.cmake ${PROJECT_BINARY_DIR}/sweepmuxConfigVersion.cmake
        DESTINATION ${SMX_CMAKE_INSTALL_DIR} COMPONENT dev)

# ---- which MPI ------------------------------------------------------------------------------
# A program must use the MPI libsweepmux was built with: Open MPI and MPICH differ in ABI, and a
# program that links one while libsweepmux pulls in the other crashes in MPI_Init. The flavour is
# read from the MPI header (OPEN_MPI / MPICH_VERSION) and pinned in the .pc file and the CMake
# package, which also records the MPI compiler wrapper used here.
include(CheckSymbolExists)
set(CMAKE_REQUIRED_INCLUDES ${MPI_C_INCLUDE_DIRS})
check_symbol_exists(OPEN_MPI mpi.h SMX_MPI_IS_OPENMPI)
check_symbol_exists(MPICH_VERSION mpi.h SMX_MPI_IS_MPICH)
unset(CMAKE_REQUIRED_INCLUDES)
if(SMX_MPI_IS_OPENMPI)
  set(SMX_MPI_FLAVOUR "Open MPI")
  set(_smx_pc_mpi_candidates ompi-c)
elseif(SMX_MPI_IS_MPICH)
  set(SMX_MPI_FLAVOUR "MPICH")
  set(_smx_pc_mpi_candidates mpich)
else()
  set(SMX_MPI_FLAVOUR "")
  set(_smx_pc_mpi_candidates "")
endif()
message(STATUS "sweepmux: building against ${MPI_C_COMPILER} (${SMX_MPI_FLAVOUR})")

# ---- pkg-config ----------------------------------------------------------------------------
# MPI is public (sweepmux/session.h includes <mpi.h>): Requires names the MPI implementation's
# own module (Open MPI: ompi-c, MPICH: mpich; never another MPI's module that happens to be
# installed too); otherwise the flags CMake found go into Cflags/Libs. HDF5 and libyaml are needed only to link the static library: Requires.private.
set(SMX_PC_REQUIRES "")
set(SMX_PC_MPI_CFLAGS "")
set(SMX_PC_MPI_LIBS "")
set(_smx_pc_mpi "")
foreach(mod ${_smx_pc_mpi_candidates})
  pkg_check_modules(_SMX_PC_MPI QUIET ${mod})
  if(_SMX_PC_MPI_FOUND)
    set(_smx_pc_mpi ${mod})
    break()
  endif()
endforeach()
if(_smx_pc_mpi)
  set(SMX_PC_REQUIRES ${_smx_pc_mpi})
else()
  foreach(d ${MPI_C_INCLUDE_DIRS})
    string(APPEND SMX_PC_MPI_CFLAGS " -I${d}")
  endforeach()
  foreach(l ${MPI_C_LIBRARIES})
    string(APPEND SMX_PC_MPI_LIBS " ${l}")
  endforeach()
endif()

set(SMX_PC_REQUIRES_PRIVATE "yaml-0.1")
set(SMX_PC_LIBS_PRIVATE "")
pkg_check_modules(_SMX_PC_HDF5 QUIET hdf5)
if(_SMX_PC_HDF5_FOUND)
  string(PREPEND SMX_PC_REQUIRES_PRIVATE "hdf5, ")
else()
  # No hdf5.pc (e.g. a source build of HDF5): the libraries FindHDF5 found, as paths.
  foreach(l ${HDF5_C_LIBRARIES})
    string(APPEND SMX_PC_LIBS_PRIVATE " ${l}")
  endforeach()
endif()
string(APPEND SMX_PC_LIBS_PRIVATE " -lpthread -lm")

file(RELATIVE_PATH SMX_PC_PREFIX_FROM_PCFILEDIR
     ${CMAKE_INSTALL_PREFIX}/${SMX_PKGCONFIG_INSTALL_DIR} ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" SMX_PC_PREFIX_FROM_PCFILEDIR "${SMX_PC_PREFIX_FROM_PCFILEDIR}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/sweepmux.pc.in ${PROJECT_BINARY_DIR}/sweepmux.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sweepmux.pc DESTINATION ${SMX_PKGCONFIG_INSTALL_DIR}
        COMPONENT dev)

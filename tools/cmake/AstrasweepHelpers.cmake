# Helpers that keep each module's CMakeLists.txt to a few lines.
#
#   astrasweep_library(NAME base SRCS a.cc b.cc DEPS fmt::fmt PRIVATE_DEPS xx)
#     makes target astrasweep_base (alias astrasweep::base) with the public
#     headers in include/astrasweep/<name>/.
#   astrasweep_unit_test(NAME base SRCS a_test.cc DEPS astrasweep::base [LABEL l])
#     makes test binary <name>_unit_tests, registered with ctest under label
#     l (default: unit).

set(ASTRASWEEP_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wconversion
    -Wno-sign-conversion -Wimplicit-fallthrough
    -Wno-missing-field-initializers
    # GCC 12 reports std::string inside std::expected/std::optional as
    # "maybe uninitialized" at -O2 (GCC bugs 105562, 107138): false positives.
    -Wno-maybe-uninitialized
    # GCC 12 at -O3 (the Release build) reports `"text" + std::string` as
    # an overlapping memcpy (GCC bug 105329): a false positive.
    -Wno-restrict)

function(astrasweep_set_warnings target)
  target_compile_options(${target} PRIVATE ${ASTRASWEEP_WARNINGS})
  if(ASTRASWEEP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(astrasweep_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target astrasweep_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SRCS})
  add_library(astrasweep::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target}
    PUBLIC ${CMAKE_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  astrasweep_set_warnings(${target})
endfunction()

function(astrasweep_unit_test)
  cmake_parse_arguments(ARG "" "NAME;LABEL" "SRCS;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  if(NOT ASTRASWEEP_BUILD_TESTS)
    return()
  endif()
  set(target ${ARG_NAME}_unit_tests)
  add_executable(${target} ${ARG_SRCS})
  target_link_libraries(${target} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  # Helpers shared by tests (tests/support).
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/tests/support)
  target_compile_definitions(${target} PRIVATE
    ASTRASWEEP_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  astrasweep_set_warnings(${target})
  gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60 NO_PRETTY_VALUES
    PROPERTIES LABELS ${ARG_LABEL})
endfunction()

# A test program that runs the astrasweep binary (tests/integration,
# tests/mpi): ASTRASWEEP_BIN and ASTRASWEEP_SOURCE_DIR defined, and with
# FAKE_ASTRASIM the test double's path, with MPI mpiexec's; the programs
# it runs are built first. RUN_SERIAL: its tests run alone (they time
# things, or mount file systems).
function(astrasweep_cli_test)
  cmake_parse_arguments(ARG "RUN_SERIAL;FAKE_ASTRASIM;MPI" "TARGET;LABEL" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_TARGET} ${ARG_SRCS})
  target_link_libraries(${ARG_TARGET} PRIVATE astrasweep::store ${ARG_DEPS} GTest::gtest
    GTest::gtest_main)
  target_include_directories(${ARG_TARGET} PRIVATE ${CMAKE_SOURCE_DIR}/tests/support)
  target_compile_definitions(${ARG_TARGET} PRIVATE
    ASTRASWEEP_BIN="$<TARGET_FILE:astrasweep>"
    ASTRASWEEP_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  add_dependencies(${ARG_TARGET} astrasweep)
  if(ARG_FAKE_ASTRASIM)
    target_compile_definitions(${ARG_TARGET} PRIVATE
      FAKE_ASTRASIM="$<TARGET_FILE:fake_astrasim>")
    add_dependencies(${ARG_TARGET} fake_astrasim)
  endif()
  if(ARG_MPI)
    target_compile_definitions(${ARG_TARGET} PRIVATE
      MPIEXEC_EXECUTABLE="${MPIEXEC_EXECUTABLE}")
  endif()
  astrasweep_set_warnings(${ARG_TARGET})
  set(properties LABELS ${ARG_LABEL})
  if(ARG_RUN_SERIAL)
    list(APPEND properties RUN_SERIAL TRUE)
  endif()
  gtest_discover_tests(${ARG_TARGET} DISCOVERY_TIMEOUT 60 NO_PRETTY_VALUES
    PROPERTIES ${properties})
endfunction()

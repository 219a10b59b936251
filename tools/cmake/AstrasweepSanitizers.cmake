# Sanitized builds, each in its own build folder.
#
#   ASTRASWEEP_SANITIZE=ON  AddressSanitizer and UndefinedBehaviorSanitizer
#                           over everything built (tools/test --sanitize,
#                           build-asan/; g++ or clang).
#   ASTRASWEEP_FUZZ=ON      the same, plus libFuzzer's coverage, and the
#                           fuzz targets in tests/fuzz (clang only;
#                           build-fuzz/).
#
# Undefined behaviour stops the program (no recovery), so a test that
# meets it fails rather than printing a line no one reads.
option(ASTRASWEEP_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(ASTRASWEEP_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only; implies ASTRASWEEP_SANITIZE)" OFF)

if(ASTRASWEEP_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "ASTRASWEEP_FUZZ needs clang (libFuzzer): configure a separate build "
                        "folder with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  set(ASTRASWEEP_SANITIZE ON)
  include(AstrasweepClangCompat)
  # ASTRASWEEP_WARNINGS names GCC's; the fuzz build is not the one that
  # checks warnings.
  add_compile_options(-Wno-unknown-warning-option)
  # Coverage for libFuzzer in every object; the fuzz targets link its main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(ASTRASWEEP_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Lets clang 14 (Debian 12's) compile this C++23 code base against GCC 12's
# libstdc++, for the fuzz build only.
#
# libstdc++ 12 offers <expected> only when __cpp_concepts >= 202002L, which
# clang announces from version 16 on (P0848: special members chosen by their
# constraints). Its std::expected declares two destructors, a defaulted one
# for trivial types and one that destroys the member, told apart by
# requires-clauses. This writes a copy of the system header into the build
# folder with the single, non-trivial destructor, and puts its folder first
# on the include path. Nothing changes for g++ or a newer clang.
include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_FLAGS -std=c++2b)
check_cxx_source_compiles([=[
#include <expected>
int main() { std::expected<int, int> e = 1; return *e - 1; }
]=] ASTRASWEEP_HAS_STD_EXPECTED)
unset(CMAKE_REQUIRED_FLAGS)
if(ASTRASWEEP_HAS_STD_EXPECTED)
  return()
endif()

find_file(ASTRASWEEP_SYSTEM_EXPECTED expected
  PATHS /usr/include/c++/${CMAKE_CXX_COMPILER_VERSION} /usr/include/c++/12 NO_DEFAULT_PATH)
if(NOT ASTRASWEEP_SYSTEM_EXPECTED)
  message(FATAL_ERROR "${CMAKE_CXX_COMPILER} lacks std::expected and no libstdc++ <expected> "
                      "was found to adapt; use clang 16 or later")
endif()
file(READ ${ASTRASWEEP_SYSTEM_EXPECTED} text)
string(REPLACE "#if __cplusplus > 202002L && __cpp_concepts >= 202002L" "#if __cplusplus > 202002L"
       text "${text}")
string(REPLACE "constexpr ~expected() = default;" "" text "${text}")
string(REGEX REPLACE
       "constexpr ~expected\\(\\)[ \t\n]*requires[^{]*{" "constexpr ~expected()\n      {"
       text "${text}")
set(compat_dir ${CMAKE_BINARY_DIR}/clang-compat)
file(WRITE ${compat_dir}/expected "${text}")
include_directories(BEFORE SYSTEM ${compat_dir})
message(STATUS "clang lacks std::expected: using an adapted copy of ${ASTRASWEEP_SYSTEM_EXPECTED}")

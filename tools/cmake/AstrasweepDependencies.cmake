# Every third-party library comes from a Debian package; nothing is downloaded.
# tools/setup installs them (see tools/packages.txt).
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(Protobuf REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto)  # SHA-256 for provenance
# Open MPI and Boost.MPI, for the dist module and the MPI tests.
find_package(MPI REQUIRED COMPONENTS CXX)
find_package(Boost REQUIRED COMPONENTS mpi serialization)
find_package(ZLIB REQUIRED)  # compresses messages between ranks and the journal
# The serial HDF5 C library through its pkg-config file (Debian 12:
# hdf5-serial.pc); FindHDF5 would need the C language enabled for its probe.
pkg_check_modules(HDF5 REQUIRED IMPORTED_TARGET hdf5-serial)
if(ASTRASWEEP_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(ASTRASWEEP_BUILD_BENCH)
  find_package(benchmark QUIET)
  if(NOT benchmark_FOUND)
    message(STATUS "Google Benchmark not found (Debian: libbenchmark-dev): the benchmarks in "
                   "tests/bench that use it are not built")
  endif()
endif()

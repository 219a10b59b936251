# Writes OUT, a header defining ASTRASWEEP_GIT_SHA as the commit of
# SOURCE_DIR, and touches it only when the commit changed, so a build
# recompiles one file after a commit and nothing otherwise.
#   cmake -DSOURCE_DIR=... -DOUT=... -P WriteGitSha.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE sha
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
if(failed OR NOT sha)
  set(sha unknown)
endif()
set(text "#define ASTRASWEEP_GIT_SHA \"${sha}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUT} "${text}")
endif()

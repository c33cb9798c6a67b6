# finish.cmake - CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS): what
# debhelper would do to the staged tree before it becomes the package.
#
# - a manual page for each program, made by help2man from its --help (so
#   that it cannot drift from it) and cmake/deb/<program>.h2m, gzip -9n
# - strip the programs as dh_strip does (debugging symbols, .comment and
#   .note); CPACK_STRIP_FILES would keep .comment
# - the Debian changelog, /usr/share/doc/mercure-c/changelog.gz (a native
#   package's name), for the version being built, so that a version given
#   to cpack with -D CPACK_DEBIAN_PACKAGE_VERSION has a changelog that says
#   so; dated from SOURCE_DATE_EPOCH when set (reproducible), else now
set(_root "${CPACK_TEMPORARY_DIRECTORY}")

file(GLOB _progs "${_root}/usr/bin/*")

find_program(_help2man help2man)
if(NOT _help2man)
  message(FATAL_ERROR "help2man not found (scripts/bootstrap installs it)")
endif()
set(_man "${_root}/usr/share/man/man1")
file(MAKE_DIRECTORY "${_man}")
foreach(p ${_progs})
  get_filename_component(_name "${p}" NAME)
  execute_process(
    COMMAND "${_help2man}" --no-info --no-discard-stderr
            "--version-string=${CPACK_DEBIAN_PACKAGE_VERSION}"
            "--include=${CMAKE_CURRENT_LIST_DIR}/${_name}.h2m" "${p}"
    OUTPUT_FILE "${_man}/${_name}.1" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "help2man ${_name} failed: ${_rc}")
  endif()
  execute_process(COMMAND gzip -9nf "${_man}/${_name}.1" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "gzip of ${_name}.1 failed: ${_rc}")
  endif()
endforeach()

foreach(p ${_progs})
  execute_process(
    COMMAND strip --remove-section=.comment --remove-section=.note
            --strip-unneeded "${p}"
    RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "strip ${p} failed: ${_rc}")
  endif()
endforeach()

string(TIMESTAMP MC_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(_doc "${_root}/usr/share/doc/mercure-c")
file(MAKE_DIRECTORY "${_doc}")
configure_file("${CMAKE_CURRENT_LIST_DIR}/changelog.in" "${_doc}/changelog"
               @ONLY)
# gzip -9n: the most compression, no name or time stamp (Debian policy)
execute_process(COMMAND gzip -9nf "${_doc}/changelog" RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "gzip of ${_doc}/changelog failed: ${_rc}")
endif()

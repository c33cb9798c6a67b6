# finish.cmake - CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS): what
# debhelper would do to the staged tree before it becomes the package.
#
# - strip the programs as dh_strip does (debugging symbols, .comment and
#   .note); CPACK_STRIP_FILES would keep .comment
# - the Debian changelog, /usr/share/doc/mercure-c/changelog.gz (a native
#   package's name), for the version being built, so that a version given
#   to cpack with -D CPACK_DEBIAN_PACKAGE_VERSION has a changelog that says
#   so; dated from SOURCE_DATE_EPOCH when set (reproducible), else now
set(_root "${CPACK_TEMPORARY_DIRECTORY}")

file(GLOB _progs "${_root}/usr/bin/*")
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

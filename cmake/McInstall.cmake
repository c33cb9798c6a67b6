# What `cmake --install` (and so the Debian package, cmake/McPackaging.cmake)
# puts where. The programs install themselves (install(TARGETS) in their
# folders) into bin/. The system paths (/etc, /lib/systemd) are absolute,
# as the package needs them: install with DESTDIR, as cpack does.
#
#   /etc/mercure/mercure.yaml           configs/mercure.package.yaml, a conffile
#   /lib/systemd/system/*.service       configs/systemd/
#   <prefix>/share/mercure/             configs/ (examples, dashboards,
#                                       alerts), nomad/*.hcl, the port 104
#                                       drop-in
#   <prefix>/share/doc/mercure-c/       README.md, docs/*.md, copyright
#   <prefix>/share/man/man1/            pages made by help2man from --help
#   <prefix>/share/lintian/overrides/   cmake/deb/lintian-overrides
set(MC_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/mercure-c)

install(FILES configs/mercure.package.yaml DESTINATION /etc/mercure
        RENAME mercure.yaml)
install(FILES configs/systemd/mercure-receiver.service
              configs/systemd/mercure-coordinator.service
        DESTINATION /lib/systemd/system)

# configs/ as a whole, so that new examples and dashboards are picked up;
# the package's own config and the units are installed above
install(DIRECTORY configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/mercure
        PATTERN mercure.package.yaml EXCLUDE
        PATTERN systemd EXCLUDE)
install(FILES configs/systemd/port104.conf
        DESTINATION ${CMAKE_INSTALL_DATADIR}/mercure/systemd)
install(DIRECTORY nomad/ DESTINATION ${CMAKE_INSTALL_DATADIR}/mercure/nomad
        FILES_MATCHING PATTERN "*.hcl")

file(GLOB MC_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES README.md ${MC_DOCS} DESTINATION ${MC_DOCDIR})
install(FILES cmake/deb/copyright DESTINATION ${MC_DOCDIR})
install(FILES cmake/deb/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME mercure-c)

# Manual pages: help2man from each program's --help (so they cannot
# drift from it), gzip -9n as Debian wants them. Without help2man there
# are none (lintian then warns no-manual-page).
find_program(MC_HELP2MAN help2man)
if(MC_HELP2MAN)
  set(_mc_man_pages)
  foreach(prog mercure-receiver mercure-coordinator mercure-worker getdcmtags)
    set(_page ${CMAKE_BINARY_DIR}/man/${prog}.1.gz)
    add_custom_command(
      OUTPUT ${_page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND sh -c "\"$0\" --no-info --no-discard-stderr --version-string=\"$1\" --include=\"$2\" \"$3\" >\"$4.tmp\" && gzip -9n <\"$4.tmp\" >\"$4\" && rm \"$4.tmp\""
              ${MC_HELP2MAN} ${MC_PACKAGE_VERSION}
              ${CMAKE_SOURCE_DIR}/cmake/deb/${prog}.h2m
              $<TARGET_FILE:${prog}> ${_page}
      DEPENDS ${prog} ${CMAKE_SOURCE_DIR}/cmake/deb/${prog}.h2m
      VERBATIM)
    list(APPEND _mc_man_pages ${_page})
  endforeach()
  add_custom_target(mc_man ALL DEPENDS ${_mc_man_pages})
  install(FILES ${_mc_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no manual pages in the package")
endif()

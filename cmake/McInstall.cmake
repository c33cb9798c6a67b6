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
#   <prefix>/share/lintian/overrides/   cmake/deb/lintian-overrides
#
# The package adds the manual pages and the changelog when it is made
# (cmake/deb/finish.cmake).
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

# The Debian package (`make deb`: CPack's DEB generator in the build dir).
# What it holds is cmake/McInstall.cmake; its maintainer scripts,
# conffiles and copyright are in cmake/deb/. Dependencies are computed
# from the programs' shared libraries (dpkg-shlibdeps), never listed by
# hand; adduser is what postinst needs besides.
#
# MC_PACKAGE_VERSION is the package's version (default: the project's);
# `cpack -D CPACK_DEBIAN_PACKAGE_VERSION=V` builds the same programs as
# another version (tests/integration/test_package_deb, for the upgrade).
set(MC_PACKAGE_VERSION "${PROJECT_VERSION}" CACHE STRING
    "Version of the Debian package (make deb)")
set(MC_PACKAGE_CONTACT "mercure in C maintainers <mercure-c@example.org>"
    CACHE STRING "Maintainer field of the Debian package (name <address>)")

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "mercure-c")
set(CPACK_PACKAGE_VENDOR "mercure in C")
set(CPACK_PACKAGE_CONTACT "${MC_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_VERSION "${MC_PACKAGE_VERSION}")
set(CPACK_DEBIAN_PACKAGE_VERSION "${MC_PACKAGE_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "DICOM router: receive, route, process and dispatch images")
# the extended description only: CPack puts the summary above it
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "mercure in C receives images over DICOM (C-STORE), groups them into
series and studies, evaluates rules on their tags, runs processing
modules and dispatches the results to PACS, DICOMweb, SFTP, S3 and
folder targets, like the mercure router.
.
This package holds the receiver, the coordinator, the worker and
getdcmtags, systemd units for a single machine, the Nomad job files
for a cluster, and the documentation.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# the rsync target runs these programs (docs/targets.md)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "rsync, openssh-client, sshpass")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/cmake/deb/conffiles
    ${CMAKE_SOURCE_DIR}/cmake/deb/postinst
    ${CMAKE_SOURCE_DIR}/cmake/deb/prerm
    ${CMAKE_SOURCE_DIR}/cmake/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_SOURCE_DIR}/cmake/deb/finish.cmake)
include(CPack)

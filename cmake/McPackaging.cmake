# The Debian package (`make deb`: CPack's DEB generator in the build dir).
# Dependencies are computed from the programs' shared libraries
# (dpkg-shlibdeps), never listed by hand.
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "mercure-c")
set(CPACK_PACKAGE_VENDOR "mercure in C")
set(CPACK_PACKAGE_CONTACT "mercure in C maintainers <mercure-c@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "DICOM orchestration: receive, route, process and dispatch images")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
include(CPack)

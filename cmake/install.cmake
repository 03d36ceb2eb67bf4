# What `cmake --install` puts where, and the Debian package (`cpack -G DEB`).
#   bin/corekit                                   the command
#   lib*/libcorekit.a                             the library (corekit::corekit), with its
#   include/corekit/<layer>/*.h                   public headers (internal ones stay in src/)
#   lib*/cmake/corekit/                           find_package(corekit CONFIG)
#   lib*/pkgconfig/corekit.pc                     pkg-config
#   share/man/man1/corekit.1.gz                   made from the command's own --help
#   share/bash-completion/completions/corekit     likewise
#   share/doc/corekit/                            copyright, changelog
#   <python's dist-packages>/corekit/             the Python module (python/CMakeLists.txt)
include(CMakePackageConfigHelpers)

install(TARGETS corekit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS corekit_library EXPORT corekitTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The capture layer is the command's (the crash handler), not the library's.
install(DIRECTORY include/corekit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} PATTERN capture EXCLUDE PATTERN server EXCLUDE)

set(COREKIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/corekit)
install(EXPORT corekitTargets NAMESPACE corekit:: DESTINATION ${COREKIT_CMAKE_DIR})
configure_package_config_file(cmake/corekitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/corekitConfig.cmake INSTALL_DESTINATION ${COREKIT_CMAKE_DIR})
# 0.x: a new minor version may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/corekitConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/corekitConfig.cmake ${PROJECT_BINARY_DIR}/corekitConfigVersion.cmake
  DESTINATION ${COREKIT_CMAKE_DIR})

# corekit.pc names the prefix the files were installed under, which `cmake --install --prefix`
# may choose after configuring: so it is written at install time.
install(CODE "
  set(COREKIT_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(COREKIT_PC_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(COREKIT_PC_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(COREKIT_PC_VERSION \"${PROJECT_VERSION}\")
  set(COREKIT_PC_DESCRIPTION \"${PROJECT_DESCRIPTION}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/cmake/corekit.pc.in\"
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/corekit.pc\" @ONLY)
  message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/corekit.pc\")
")

# The man page and the bash completion, made from `corekit --help` and each command's --help.
find_program(GZIP_PROGRAM gzip REQUIRED)
set(COREKIT_MAN ${PROJECT_BINARY_DIR}/corekit.1)
set(COREKIT_COMPLETION ${PROJECT_BINARY_DIR}/corekit.bash)
add_custom_command(OUTPUT ${COREKIT_MAN}.gz ${COREKIT_COMPLETION}
  COMMAND ${CMAKE_COMMAND} -DCOREKIT=$<TARGET_FILE:corekit> -DMAN=${COREKIT_MAN}
          -DCOMPLETION=${COREKIT_COMPLETION} -P ${PROJECT_SOURCE_DIR}/cmake/corekit_docs.cmake
  COMMAND ${GZIP_PROGRAM} -9nf ${COREKIT_MAN}  # -n: no name or time stamp, so it is reproducible
  DEPENDS corekit ${PROJECT_SOURCE_DIR}/cmake/corekit_docs.cmake
  COMMENT "Generating corekit(1) and the bash completion from corekit --help" VERBATIM)
add_custom_target(corekit_docs ALL DEPENDS ${COREKIT_MAN}.gz ${COREKIT_COMPLETION})
install(FILES ${COREKIT_MAN}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${COREKIT_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME corekit)

# Debian's changelog of a native package is changelog.gz, compressed like the man page.
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/changelog.gz
  COMMAND ${GZIP_PROGRAM} -9nc ${PROJECT_SOURCE_DIR}/packaging/changelog > ${PROJECT_BINARY_DIR}/changelog.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/changelog VERBATIM)
add_custom_target(corekit_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/changelog.gz)
install(FILES packaging/copyright ${PROJECT_BINARY_DIR}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})

# cpack -G DEB: corekit_<version>_<arch>.deb for /usr, its dependencies computed by
# dpkg-shlibdeps. Configure with -DCMAKE_INSTALL_PREFIX=/usr for Debian's multiarch libdir.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME corekit)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# The project has no mailing address yet: example.org (RFC 2606) until it has one.
set(COREKIT_MAINTAINER "corekit developers <corekit@example.org>" CACHE STRING
    "the Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${COREKIT_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "read, explain, write and debug ELF core dumps")
# Lines of at most 80 characters: dpkg shows the description as it is.
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "corekit reads ELF core dumps of Linux processes (and of FreeBSD, NetBSD and"
  "OpenBSD, on fourteen machine types), safely on untrusted files: every thread's"
  "backtrace, a crash report that says why the process died, memory by address,"
  "and gdb's commands in an interactive post-mortem debugger. It also writes the"
  "core of a running process with a pause of milliseconds, and compact cores."
  "The package holds the corekit command, the C++ library with its headers,"
  "CMake package and pkg-config file, and the Python module (import corekit).")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The Python module is built for one Python: its minor version (the extension's ABI tag).
if(COREKIT_PYTHON)
  math(EXPR COREKIT_PYTHON_NEXT_MINOR "${Python3_VERSION_MINOR} + 1")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "python3 (>= ${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR}), python3 (<< ${Python3_VERSION_MAJOR}.${COREKIT_PYTHON_NEXT_MINOR})")
endif()
# What a program linking libcorekit.a needs besides it.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
  "gdb, libdw-dev, libelf-dev, libdebuginfod-dev, libzstd-dev, liblz4-dev, liblzma-dev, zlib1g-dev, libfmt-dev, libsqlite3-dev")
set(CPACK_STRIP_FILES ON)  # strips the executable; install(TARGETS) keeps the archive's symbols
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

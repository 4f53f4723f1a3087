# What `cmake --install <build> --prefix <P>` gives app developers (component
# `runtime`):
#   lib/libgemmac.so*                    the runtime, exporting only gemmac.h's C API
#   include/gemmac/gemmac.h              that API
#   lib/cmake/gemmac/                    find_package(gemmac CONFIG) -> gemmac::gemmac
#   lib/pkgconfig/gemmac.pc              pkg-config --cflags --libs gemmac
#   bin/gemmac-run                       (runtime/tools/gemmac-run)
# Not installed: include/gemmac/compiled_abi.h. It is the contract between the
# runtime and the code `gemmac compile --target` generates, which the compiler
# builds from its own tree; no app includes it, and it would drag the internal
# kernel declarations (kernels.h) into the public API. Nor the compiler `gemmac`:
# `--target` builds read that header and the kernel sources from this source tree
# (paths fixed at build time), so it runs from the build tree.
include(CMakePackageConfigHelpers)

set(GEMMAC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/gemmac)
set(GEMMAC_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(TARGETS gemmac_shared EXPORT gemmacTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/runtime/include/gemmac/gemmac.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gemmac COMPONENT runtime)

# CMake package: the exported target plus a config that finds nothing else
# (libgemmac.so links its dependencies itself).
install(EXPORT gemmacTargets NAMESPACE gemmac::
  DESTINATION ${GEMMAC_INSTALL_CMAKEDIR} COMPONENT runtime)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/gemmacConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gemmacConfig.cmake
  INSTALL_DESTINATION ${GEMMAC_INSTALL_CMAKEDIR})
# Before 1.0 a minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gemmacConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gemmacConfig.cmake ${PROJECT_BINARY_DIR}/gemmacConfigVersion.cmake
  DESTINATION ${GEMMAC_INSTALL_CMAKEDIR} COMPONENT runtime)

# pkg-config: paths relative to the .pc file itself (${pcfiledir}), so the file
# describes the prefix given at install time (--prefix, DESTDIR), not at configure time.
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    message(FATAL_ERROR "CMAKE_INSTALL_${dir}=${CMAKE_INSTALL_${dir}}: gemmac installs "
                        "relocatably, give a path relative to the install prefix")
  endif()
endforeach()
file(RELATIVE_PATH GEMMAC_PC_PREFIX_FROM_PCFILEDIR /prefix/${GEMMAC_INSTALL_PKGCONFIGDIR} /prefix)
string(REGEX REPLACE "/$" "" GEMMAC_PC_PREFIX_FROM_PCFILEDIR "${GEMMAC_PC_PREFIX_FROM_PCFILEDIR}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/gemmac.pc.in ${PROJECT_BINARY_DIR}/gemmac.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/gemmac.pc
  DESTINATION ${GEMMAC_INSTALL_PKGCONFIGDIR} COMPONENT runtime)

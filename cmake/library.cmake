include(GNUInstallDirs)
# corekit::corekit — the library C++ users link: one static archive holding the objects of every
# layer (compiled once, for the layer libraries above), position-independent so that it links
# into PIE executables and shared objects. Why static and not a shared library with a soname:
# docs/architecture.md, "The installed library".
set(COREKIT_LAYERS corekit_elf corekit_target corekit_locate corekit_core corekit_live corekit_unwind
    corekit_analyze corekit_eval corekit_dump corekit_compact corekit_store)

# The layers' objects are the library's: position-independent, for users' PIE programs (only
# these: the test programs keep the compilers' own defaults, which the gdb comparisons expect).
set_target_properties(${COREKIT_LAYERS} PROPERTIES POSITION_INDEPENDENT_CODE ON)
add_library(corekit_library STATIC)
foreach(layer IN LISTS COREKIT_LAYERS)
  target_sources(corekit_library PRIVATE $<TARGET_OBJECTS:${layer}>)
endforeach()
set_target_properties(corekit_library PROPERTIES OUTPUT_NAME corekit EXPORT_NAME corekit)
target_include_directories(corekit_library INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(corekit_library INTERFACE cxx_std_20)  # the headers are C++20
# What the layers' objects call: a static archive passes these on to whoever links it (in the
# exported target as $<LINK_ONLY:...>; corekitConfig.cmake finds them again).
target_link_libraries(corekit_library PRIVATE
  PkgConfig::DW                              # unwind, eval: libdwfl, libdw, libelf
  PkgConfig::DEBUGINFOD                      # locate: the debuginfod client
  PkgConfig::ZSTD PkgConfig::LZ4 LibLZMA::LibLZMA ZLIB::ZLIB  # core: compressed cores
  PkgConfig::SQLITE                          # store: the crash store's index
  fmt::fmt)                                  # eval: value text
add_library(corekit::corekit ALIAS corekit_library)

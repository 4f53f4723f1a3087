# gemmac_export_public_api_only(TARGET HEADER): the shared library TARGET exports
# exactly the functions HEADER declares, and nothing else: not the kernels, not the
# C++ internals, not the code of the static libraries linked into it.
#
# The list is read from the header itself (comments stripped, then every
# `gemmac_name(`), so the public API has one definition and adding a function to
# gemmac.h exports it. Except gemmac_compiled_*: those are defined by compiled
# model libraries (gemmac/compiled_abi.h), never by the runtime; gemmac.h only
# declares the ones an app calls. A linker version script does the hiding;
# gemmac.h has no export macro, so -fvisibility=hidden would hide the API as well.
function(gemmac_export_public_api_only target header)
  file(READ "${header}" text)
  # C comments (/* ... */ without a non-greedy match) and C++ line comments.
  string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" "" text "${text}")
  string(REGEX REPLACE "//[^\n]*" "" text "${text}")
  string(REGEX MATCHALL "gemmac_[a-z0-9_]+[ \t\r\n]*\\(" calls "${text}")
  set(functions "")
  foreach(call IN LISTS calls)
    string(REGEX REPLACE "[ \t\r\n]*\\($" "" name "${call}")
    list(APPEND functions "${name}")
  endforeach()
  list(REMOVE_DUPLICATES functions)
  list(FILTER functions EXCLUDE REGEX "^gemmac_compiled_")
  if(NOT functions)
    message(FATAL_ERROR "gemmac_export_public_api_only: no gemmac_* function declarations "
                        "found in ${header}; ${target} would export nothing")
  endif()

  list(JOIN functions ";\n    " globals)
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${target}.map")
  file(CONFIGURE OUTPUT "${script}" CONTENT
       "/* Generated from ${header} by cmake/ExportPublicApiOnly.cmake. */\n{\n  global:\n    ${globals};\n  local: *;\n};\n")
  # Re-read the header when it changes; relink when the list changes.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${header}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${script}")
  target_link_options(${target} PRIVATE "LINKER:--version-script=${script}")
endfunction()

# mc_add_check_test(name src libs...): one Check suite = one executable,
# registered in CTest as unit.<name>, linked with mc_check_main (the
# shared main and temp folders, tests/unit). MC_SOURCE_DIR lets a suite
# find test data in the source tree.
function(mc_add_check_test name src)
  add_executable(${name}_test ${src})
  target_link_libraries(${name}_test PRIVATE ${ARGN} mc_check_main
    PkgConfig::CHECK mc_warnings)
  target_compile_definitions(${name}_test PRIVATE
    MC_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  add_test(NAME unit.${name} COMMAND ${name}_test)
  set_tests_properties(unit.${name} PROPERTIES TIMEOUT 180 LABELS unit)
endfunction()

# mc_add_script_test(name script): an integration test driven by a script in
# tests/integration, run with the build's bin dir and the source dir known.
function(mc_add_script_test name script)
  add_test(NAME integration.${name}
           COMMAND ${script}
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(integration.${name} PROPERTIES
    TIMEOUT 600 LABELS integration SKIP_RETURN_CODE 77
    ENVIRONMENT "MC_BIN=${CMAKE_BINARY_DIR}/bin;MC_SRC=${CMAKE_SOURCE_DIR};TCP_NODELAY=1")
endfunction()

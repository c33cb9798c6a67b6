# Every build option of the project, in one place.
option(MC_WERROR "Treat warnings as errors" ON)
option(MC_FUZZ "Build libFuzzer harnesses (needs clang)" OFF)
set(MC_SANITIZER "none" CACHE STRING
    "Sanitizers: none, address;undefined, thread")

add_library(mc_warnings INTERFACE)
target_compile_options(mc_warnings INTERFACE
    -Wall -Wextra -Wshadow -Wformat=2
    $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>)
if(MC_WERROR)
  target_compile_options(mc_warnings INTERFACE -Werror)
endif()
target_compile_definitions(mc_warnings INTERFACE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE _XOPEN_SOURCE=700)

if(NOT MC_SANITIZER STREQUAL "none" AND NOT MC_SANITIZER STREQUAL "")
  string(REPLACE ";" "," _mc_san "${MC_SANITIZER}")
  add_compile_options(-fsanitize=${_mc_san} -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${_mc_san})
endif()

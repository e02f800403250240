# Warning flags, sanitizers and clang-tidy for brook's own targets.
# Every brook target calls brook_target_options(<target>).
add_library(brook_compile_options INTERFACE)
target_compile_options(brook_compile_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wimplicit-fallthrough
  # -Wnull-dereference is left out: GCC 12 reports it inside libstdc++ at -O2 (false positives).
  # Designated initializers that leave fields at their defaults are idiomatic here.
  -Wno-missing-field-initializers)
if(BROOK_WERROR)
  target_compile_options(brook_compile_options INTERFACE -Werror)
endif()
if(BROOK_SANITIZE)
  list(JOIN BROOK_SANITIZE "," _brook_san)
  target_compile_options(brook_compile_options INTERFACE
    -fsanitize=${_brook_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(brook_compile_options INTERFACE -fsanitize=${_brook_san})
endif()

if(BROOK_CLANG_TIDY)
  find_program(BROOK_CLANG_TIDY_EXE NAMES clang-tidy clang-tidy-14 REQUIRED)
  # gcc-only warning flags make clang-tidy's driver complain; tell it to ignore them.
  set(BROOK_CLANG_TIDY_COMMAND ${BROOK_CLANG_TIDY_EXE}
      --extra-arg=-Wno-unknown-warning-option --extra-arg=-Wno-ignored-optimization-argument)
endif()

function(brook_target_options target)
  target_link_libraries(${target} PRIVATE brook_compile_options)
  if(BROOK_CLANG_TIDY)
    set_target_properties(${target} PROPERTIES CXX_CLANG_TIDY "${BROOK_CLANG_TIDY_COMMAND}")
  endif()
endfunction()

# The examples' ctest: runs PROGRAM (with the ;-separated ARGS, through EMULATOR when cross
# compiling) and checks every "class K: V" line it prints against EXPECTED, a file with one
# such line per class that make_model.py computed in NumPy. Each printed V must be within
# TOLERANCE_E6 millionths of the expected value, in descending order, and there must be at
# least one line. CMake has integer arithmetic only: values are compared in millionths.
#   cmake -DPROGRAM=... -DEXPECTED=... [-DARGS=a;b] [-DEMULATOR=...] -P check_output.cmake
if(NOT DEFINED TOLERANCE_E6)
  set(TOLERANCE_E6 5)
endif()

# "-0.012345" -> -12345 (six decimals, as the examples print).
function(to_millionths text out)
  if(NOT text MATCHES "^(-?)([0-9]+)\\.([0-9][0-9][0-9][0-9][0-9][0-9])$")
    message(FATAL_ERROR "not a number with six decimals: '${text}'")
  endif()
  set(sign "${CMAKE_MATCH_1}")
  set(whole "${CMAKE_MATCH_2}")
  set(frac "${CMAKE_MATCH_3}")
  # No leading zeros for math(EXPR).
  string(REGEX REPLACE "^0+([0-9])" "\\1" whole "${whole}")
  string(REGEX REPLACE "^0+([0-9])" "\\1" frac "${frac}")
  math(EXPR value "${sign}(${whole} * 1000000 + ${frac})")
  set(${out} ${value} PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${EMULATOR} ${PROGRAM} ${ARGS}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} failed (${rc}): ${err}")
endif()

file(STRINGS "${EXPECTED}" expected_lines)
foreach(line IN LISTS expected_lines)
  if(line MATCHES "^class ([0-9]+): (.*)$")
    set(k "${CMAKE_MATCH_1}")
    to_millionths("${CMAKE_MATCH_2}" value)
    set(expected_${k} ${value})
  endif()
endforeach()

string(REGEX MATCHALL "class [0-9]+: -?[0-9]+\\.[0-9]+" printed "${out}")
list(LENGTH printed count)
if(count EQUAL 0)
  message(FATAL_ERROR "no 'class K: V' lines in the output")
endif()
set(previous "")
foreach(line IN LISTS printed)
  string(REGEX MATCH "^class ([0-9]+): (.*)$" _ "${line}")
  set(k "${CMAKE_MATCH_1}")
  to_millionths("${CMAKE_MATCH_2}" got)
  if(NOT DEFINED expected_${k})
    message(FATAL_ERROR "class ${k} is not in ${EXPECTED}")
  endif()
  math(EXPR diff "${got} - ${expected_${k}}")
  if(diff LESS 0)
    math(EXPR diff "-(${diff})")
  endif()
  if(diff GREATER TOLERANCE_E6)
    message(FATAL_ERROR "class ${k}: printed ${got}e-6, expected ${expected_${k}}e-6")
  endif()
  if(NOT previous STREQUAL "" AND got GREATER previous)
    message(FATAL_ERROR "scores are not in descending order at class ${k}")
  endif()
  set(previous ${got})
endforeach()
message("${count} scores match ${EXPECTED}")

# Writes a .tflite file as a C header, so a program can compile its model in:
#   cmake -DINPUT=model.tflite -DOUTPUT=model_data.h -P embed_model.cmake
# The array is 16-byte aligned like a file mapping (the loader copies constants that are not
# aligned for their type, so alignment saves memory rather than being required).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR bytes "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REPEAT "0x..," 16 sixteen) # CMake regexes have no {n}
string(REGEX REPLACE "(${sixteen})" "\\1\n    " body "${body}")
get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
  "/* Generated from ${name} by embed_model.cmake at build time: do not edit. */\n"
  "#ifndef LITERT_EXAMPLE_MODEL_DATA_H\n#define LITERT_EXAMPLE_MODEL_DATA_H\n\n"
  "#include <stddef.h>\n\n"
  "static _Alignas(16) const unsigned char k_model[${bytes}] = {\n    ${body}\n};\n"
  "static const size_t k_model_size = sizeof k_model;\n\n#endif\n")
# Replace only when the content changed, so an unchanged model rebuilds nothing.
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")

# Compiler flags of a LITERT_FUZZ build (included from native/CMakeLists.txt before the library
# is defined, so that every object of the runtime gets them).
# clang: AddressSanitizer + UndefinedBehaviorSanitizer, every report fatal, and libFuzzer's
# coverage instrumentation (fuzzer-no-link) so the fuzzer sees the library's branches.
# Other compilers have no libFuzzer: the same sanitizers without coverage, and only the replay
# driver is built (regression files still run sanitized).
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  set(LITERT_FUZZ_LIBFUZZER ON)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g)
else()
  set(LITERT_FUZZ_LIBFUZZER OFF)
  message(WARNING "LITERT_FUZZ: ${CMAKE_C_COMPILER_ID} has no libFuzzer; building only the "
                  "replay driver (fuzz_replay). Configure with CC=clang for the fuzzer.")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g)
endif()
add_link_options(-fsanitize=address,undefined)

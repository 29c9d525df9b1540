# libFuzzer targets (ROLLBOOK_FUZZ, clang; the asan preset builds them with
# ASan + UBSan). Each <name>_fuzzer has a seed corpus in corpus/<name>/;
# scripts/test runs every fuzzer time-boxed on a copy of its corpus, and the
# test below replays the committed corpus once (no mutation) as a regression
# check. Run one by hand: docs/reliability.md, "Fuzzing".
if(ROLLBOOK_FUZZ)
  # rollbook_fuzzer(NAME <name> SOURCES <files...> LIBS <targets...>)
  function(rollbook_fuzzer)
    cmake_parse_arguments(F "" "NAME" "SOURCES;LIBS" ${ARGN})
    add_executable(${F_NAME}_fuzzer ${F_SOURCES})
    target_link_libraries(${F_NAME}_fuzzer PRIVATE ${F_LIBS})
    target_link_options(${F_NAME}_fuzzer PRIVATE -fsanitize=fuzzer)
    set_target_properties(${F_NAME}_fuzzer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
    add_test(NAME fuzz_corpus_${F_NAME}
             COMMAND ${F_NAME}_fuzzer -runs=0 ${CMAKE_CURRENT_LIST_DIR}/corpus/${F_NAME})
    set_tests_properties(fuzz_corpus_${F_NAME} PROPERTIES LABELS "unit;fuzz" TIMEOUT 300)
  endfunction()

  rollbook_fuzzer(NAME record_decoder SOURCES ${CMAKE_CURRENT_LIST_DIR}/record_decoder_fuzzer.cc
                  LIBS rollbook_events rollbook_fold)
  rollbook_fuzzer(NAME manifest SOURCES ${CMAKE_CURRENT_LIST_DIR}/manifest_fuzzer.cc LIBS rollbook_fold)
  rollbook_fuzzer(NAME selector SOURCES ${CMAKE_CURRENT_LIST_DIR}/selector_fuzzer.cc LIBS rollbook_fold)

  # Writes the record seeds into corpus/record_decoder (run by hand when the
  # record schema changes; not part of the test run).
  add_executable(write_record_seeds ${CMAKE_CURRENT_LIST_DIR}/write_record_seeds.cc)
  target_link_libraries(write_record_seeds PRIVATE rollbook_events rollbook_fold)
  set_target_properties(write_record_seeds PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
endif()

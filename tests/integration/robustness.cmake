# Issue #4 robustness tests: real binaries against the real broker.
add_library(rollbook_log_probe STATIC ${CMAKE_SOURCE_DIR}/tests/support/log_probe.cc)
target_link_libraries(rollbook_log_probe PUBLIC rollbook_test_support rollbook_events SQLite::SQLite3
                      GTest::gtest)

# The bad-input table is ONE ctest entry: its rows share one Deployment set up
# once (a ctest entry per row would create ~100 topics); gtest still reports
# each row as its own test, so a failure names the row.
add_executable(bad_input_test ${CMAKE_CURRENT_LIST_DIR}/bad_input_test.cc)
target_link_libraries(bad_input_test PRIVATE rollbook_log_probe GTest::gtest_main)
target_compile_definitions(bad_input_test PRIVATE ROLLBOOK_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
set_target_properties(bad_input_test PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_dependencies(bad_input_test rollbook rollbook-projector)
add_test(NAME bad_input_test COMMAND bad_input_test)
set_tests_properties(bad_input_test PROPERTIES LABELS integration TIMEOUT 600)

# As rollbook_test(), but RUN_SERIAL: eight writer processes at once are the
# point of these tests, and `ctest -j2` must not run another test beside them.
add_executable(concurrent_writers_test ${CMAKE_CURRENT_LIST_DIR}/concurrent_writers_test.cc)
target_link_libraries(concurrent_writers_test PRIVATE rollbook_log_probe rollbook_services GTest::gtest_main)
target_compile_definitions(concurrent_writers_test PRIVATE ROLLBOOK_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
set_target_properties(concurrent_writers_test PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_dependencies(concurrent_writers_test rollbook rollbook-projector)
gtest_discover_tests(concurrent_writers_test DISCOVERY_TIMEOUT 60
                     PROPERTIES LABELS integration RUN_SERIAL TRUE TIMEOUT 600)

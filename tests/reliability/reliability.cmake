# Reliability (issue #4): tamper evidence, crash safety, projection = replay.
# All run against the real broker (ROLLBOOK_TEST_BROKERS) with their own topics.
add_library(rollbook_reliability_support STATIC
  ${CMAKE_SOURCE_DIR}/tests/support/workload.cc
  ${CMAKE_SOURCE_DIR}/tests/support/kafka_tools.cc)
target_link_libraries(rollbook_reliability_support PUBLIC rollbook_events rollbook_fold rollbook_test_support)

rollbook_test(NAME tamper_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/tamper_test.cc
              LIBS rollbook_reliability_support rollbook_store LABELS integration reliability)
add_dependencies(tamper_test rollbook)

rollbook_test(NAME crash_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/crash_test.cc
              LIBS rollbook_reliability_support LABELS integration reliability)
add_dependencies(crash_test rollbook rollbook-projector)

add_executable(rollbook-test-loadgen ${CMAKE_CURRENT_LIST_DIR}/loadgen.cc)
target_link_libraries(rollbook-test-loadgen PRIVATE rollbook_reliability_support)

rollbook_test(NAME catch_up_to_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/catch_up_to_test.cc
              LIBS rollbook_reliability_support rollbook_log_probe rollbook_services LABELS integration)

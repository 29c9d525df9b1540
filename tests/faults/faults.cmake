# Fault tests (issue #4, points 3 and 5), against real brokers.
#
# broker_faults_test stops, kills and restarts a broker of its own
# (private_broker.h: own port pair and state dir, never the shared broker).
# Its tests share that one broker, so the binary runs as ONE ctest test; the
# resource lock keeps two private-broker tests of this build from starting
# JVMs at the same time (port claims already keep them apart).
#
# bad_records_test writes invalid records with a foreign producer to its own
# topic on the shared broker (ROLLBOOK_TEST_BROKERS) and needs nothing else.
add_library(rollbook_fault_support STATIC ${CMAKE_CURRENT_LIST_DIR}/private_broker.cc
            ${CMAKE_CURRENT_LIST_DIR}/projector_daemon.cc)
# rollbook_test_support (tests/integration) gives the binary paths and ROLLBOOK_SOURCE_DIR.
target_link_libraries(rollbook_fault_support PUBLIC rollbook_test_support)

add_executable(broker_faults_test ${CMAKE_CURRENT_LIST_DIR}/broker_faults_test.cc)
target_link_libraries(broker_faults_test PRIVATE rollbook_fault_support rollbook_events
                      GTest::gtest_main GTest::gmock)
set_target_properties(broker_faults_test PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_dependencies(broker_faults_test rollbook rollbook-projector)
add_test(NAME broker_faults COMMAND broker_faults_test)
set_tests_properties(broker_faults PROPERTIES LABELS "faults;integration" TIMEOUT 600
                     RESOURCE_LOCK rollbook_private_broker)

rollbook_test(NAME bad_records_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/bad_records_test.cc
              LIBS rollbook_fault_support rollbook_events LABELS faults integration)
add_dependencies(bad_records_test rollbook rollbook-projector)

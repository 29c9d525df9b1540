# Integration tests: real binaries against the real Kafka broker started by
# scripts/test (ROLLBOOK_TEST_BROKERS). Serialised: they share one broker.
add_library(rollbook_test_support STATIC ${CMAKE_SOURCE_DIR}/tests/support/cli_runner.cc)
target_compile_definitions(rollbook_test_support PUBLIC
  ROLLBOOK_SOURCE_DIR="${CMAKE_SOURCE_DIR}" ROLLBOOK_BINARY_DIR="${CMAKE_BINARY_DIR}")
target_include_directories(rollbook_test_support PUBLIC ${CMAKE_SOURCE_DIR})

rollbook_test(NAME cli_e2e_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_e2e_test.cc
              LIBS rollbook_test_support LABELS integration)
add_dependencies(cli_e2e_test rollbook rollbook-projector)

add_test(NAME kafka_local_script COMMAND ${CMAKE_CURRENT_LIST_DIR}/kafka_local_test.sh)
set_tests_properties(kafka_local_script PROPERTIES LABELS integration TIMEOUT 300 RUN_SERIAL TRUE)
if(TARGET PkgConfig::JEMALLOC)
  add_test(NAME executables_allocate_with_jemalloc COMMAND ${CMAKE_CURRENT_LIST_DIR}/allocator_test.sh
           $<TARGET_FILE:rollbook> $<TARGET_FILE:rollbook-projector>)
  set_tests_properties(executables_allocate_with_jemalloc PROPERTIES LABELS unit)
endif()
add_test(NAME dockerfile_packages COMMAND ${CMAKE_CURRENT_LIST_DIR}/dockerfile_packages_test.sh)
set_tests_properties(dockerfile_packages PROPERTIES LABELS unit)
add_test(NAME compose_config COMMAND ${CMAKE_CURRENT_LIST_DIR}/compose_config_test.sh)
set_tests_properties(compose_config PROPERTIES LABELS integration
                     SKIP_REGULAR_EXPRESSION "SKIP: docker compose not available")

rollbook_test(NAME cli_golden_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_golden_test.cc
              LIBS rollbook_test_support LABELS integration golden)
add_dependencies(cli_golden_test rollbook rollbook-projector)


rollbook_test(NAME postmortem_e2e_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/postmortem_e2e_test.cc
              LIBS rollbook_test_support rollbook_cli LABELS integration)
add_dependencies(postmortem_e2e_test rollbook rollbook-projector)

rollbook_test(NAME report_browser_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/report_browser_test.cc
              LIBS rollbook_test_support rollbook_events LABELS integration)
add_dependencies(report_browser_test rollbook rollbook-projector)

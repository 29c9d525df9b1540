rollbook_test(NAME fuzz_regression_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_regression_test.cc
              LIBS rollbook_fold rollbook_events LABELS unit)

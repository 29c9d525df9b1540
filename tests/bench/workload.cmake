rollbook_test(NAME bench_workload_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/workload_test.cc
              LIBS rollbook_bench_workload rollbook_store LABELS unit)

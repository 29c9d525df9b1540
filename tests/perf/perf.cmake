# Benchmarks: executables that print numbers (not tests; nothing here runs under ctest).
add_executable(time_travel_bench ${CMAKE_CURRENT_LIST_DIR}/time_travel_bench.cc)
target_link_libraries(time_travel_bench PRIVATE rollbook_store)
set_target_properties(time_travel_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)

rollbook_test(NAME time_travel_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/time_travel_test.cc LIBS rollbook_store LABELS unit)
target_compile_options(time_travel_test PRIVATE -Wno-missing-field-initializers)  # designated initializers of ReplayLimit

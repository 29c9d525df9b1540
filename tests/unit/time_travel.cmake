rollbook_test(NAME time_travel_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/time_travel_test.cc LIBS rollbook_store LABELS unit)

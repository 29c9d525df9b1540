rollbook_test(NAME json_view_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/json_view_test.cc LIBS rollbook_fold LABELS unit)

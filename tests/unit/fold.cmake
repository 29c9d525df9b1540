rollbook_test(NAME fold_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/fold_test.cc LIBS rollbook_fold LABELS unit)

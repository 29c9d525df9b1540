rollbook_test(NAME object_model_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/object_model_test.cc LIBS rollbook_fold LABELS unit)

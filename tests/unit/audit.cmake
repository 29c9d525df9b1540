rollbook_test(NAME audit_query_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/audit_query_test.cc LIBS rollbook_store LABELS unit)
rollbook_test(NAME audit_format_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/audit_format_test.cc LIBS rollbook_cli LABELS unit)
rollbook_test(NAME deployment_query_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/deployment_query_test.cc LIBS rollbook_store LABELS unit)

rollbook_test(NAME audit_query_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/audit_query_test.cc LIBS rollbook_store LABELS unit)
target_compile_options(audit_query_test PRIVATE -Wno-missing-field-initializers)  # designated initializers of AuditFilter

rollbook_test(NAME render_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/render_test.cc LIBS rollbook_render LABELS unit)

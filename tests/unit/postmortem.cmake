rollbook_test(NAME postmortem_render_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/postmortem_render_test.cc
              LIBS rollbook_cli LABELS unit)

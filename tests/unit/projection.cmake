rollbook_test(NAME projection_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/projection_test.cc LIBS rollbook_store LABELS unit)
rollbook_test(NAME write_queue_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/write_queue_test.cc LIBS rollbook_store LABELS unit)
rollbook_test(NAME listing_row_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/listing_row_test.cc LIBS rollbook_store LABELS unit)
rollbook_test(NAME varint_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/varint_test.cc LIBS rollbook_store LABELS unit)
rollbook_test(NAME listing_checkpoint_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/listing_checkpoint_test.cc LIBS rollbook_store
              LABELS unit)
rollbook_test(NAME sqlite_busy_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/sqlite_busy_test.cc LIBS rollbook_store LABELS unit)

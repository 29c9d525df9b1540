rollbook_test(NAME record_codec_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/record_codec_test.cc LIBS rollbook_codec
              LABELS unit)

# rollbook_cli: the verbs (one file each) over the shared libraries.
add_library(rollbook_cli STATIC
  ${CMAKE_CURRENT_LIST_DIR}/defaults.cc
  ${CMAKE_CURRENT_LIST_DIR}/session.cc
  ${CMAKE_CURRENT_LIST_DIR}/record_flag.cc
  ${CMAKE_CURRENT_LIST_DIR}/command.cc
  ${CMAKE_CURRENT_LIST_DIR}/usage_errors.cc
  ${CMAKE_CURRENT_LIST_DIR}/manifest_input.cc
  ${CMAKE_CURRENT_LIST_DIR}/objects.cc
  ${CMAKE_CURRENT_LIST_DIR}/create.cc
  ${CMAKE_CURRENT_LIST_DIR}/apply.cc
  ${CMAKE_CURRENT_LIST_DIR}/get.cc
  ${CMAKE_CURRENT_LIST_DIR}/describe.cc
  ${CMAKE_CURRENT_LIST_DIR}/delete.cc
  ${CMAKE_CURRENT_LIST_DIR}/scale.cc
  ${CMAKE_CURRENT_LIST_DIR}/set_image.cc
  ${CMAKE_CURRENT_LIST_DIR}/annotate.cc
  ${CMAKE_CURRENT_LIST_DIR}/edit.cc
  ${CMAKE_CURRENT_LIST_DIR}/rollout.cc
  ${CMAKE_CURRENT_LIST_DIR}/rollout_history.cc
  ${CMAKE_CURRENT_LIST_DIR}/rollout_undo.cc
  ${CMAKE_CURRENT_LIST_DIR}/rollout_pause.cc
  ${CMAKE_CURRENT_LIST_DIR}/rollout_restart.cc
  ${CMAKE_CURRENT_LIST_DIR}/rollout_status.cc
  ${CMAKE_CURRENT_LIST_DIR}/admin.cc
  ${CMAKE_CURRENT_LIST_DIR}/verify.cc
  ${CMAKE_CURRENT_LIST_DIR}/audit.cc
  ${CMAKE_CURRENT_LIST_DIR}/time_arg.cc
  ${CMAKE_CURRENT_LIST_DIR}/point_in_time.cc
  ${CMAKE_CURRENT_LIST_DIR}/spec_document.cc
  ${CMAKE_CURRENT_LIST_DIR}/diff.cc
  ${CMAKE_CURRENT_LIST_DIR}/blame.cc
  ${CMAKE_CURRENT_LIST_DIR}/report.cc
  ${CMAKE_CURRENT_LIST_DIR}/time_flag.cc
  ${CMAKE_CURRENT_LIST_DIR}/audit_format.cc
)
target_link_libraries(rollbook_cli PUBLIC rollbook_services rollbook_render CLI11::CLI11 yaml-cpp)

add_executable(rollbook ${CMAKE_CURRENT_LIST_DIR}/main.cc)
target_link_libraries(rollbook PRIVATE rollbook_cli)
rollbook_use_allocator(rollbook)

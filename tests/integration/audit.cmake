# Postmortem commands end to end: audit (every flag and format, -w, --rejected)
# and rollout history -o wide / --all, against the real broker.
rollbook_test(NAME audit_e2e_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/audit_e2e_test.cc
              LIBS rollbook_test_support nlohmann_json::nlohmann_json LABELS integration golden)
add_dependencies(audit_e2e_test rollbook)

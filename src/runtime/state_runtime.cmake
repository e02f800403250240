# The state side of the runtime: task state managers, changelog topics, the changelog
# reader (restore and standbys). Included from src/runtime/CMakeLists.txt.
add_library(brook_runtime_state STATIC
  ${CMAKE_CURRENT_LIST_DIR}/state_manager.cc
  ${CMAKE_CURRENT_LIST_DIR}/changelog_topics.cc
  ${CMAKE_CURRENT_LIST_DIR}/changelog_reader.cc)
target_link_libraries(brook_runtime_state PUBLIC brook_state brook_client brook_group brook_common)
brook_target_options(brook_runtime_state)

brook_gtest(NAME brook_runtime_state_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/state_manager_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/changelog_topics_test.cc
  LIBS brook_runtime_state)

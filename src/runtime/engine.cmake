# The engine: an instance's threads, group listener, producer and the public Streams class.
# Included from src/runtime/CMakeLists.txt.
add_library(brook_runtime STATIC
  ${CMAKE_CURRENT_LIST_DIR}/runtime_config.cc
  ${CMAKE_CURRENT_LIST_DIR}/kafka_collector.cc
  ${CMAKE_CURRENT_LIST_DIR}/instance.cc
  ${CMAKE_CURRENT_LIST_DIR}/streams.cc)
target_link_libraries(brook_runtime PUBLIC brook_runtime_processor brook_runtime_state brook_group
  brook_client brook_config brook_common)
brook_target_options(brook_runtime)

brook_gtest(NAME brook_runtime_engine_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/engine_test.cc
  LIBS brook_runtime)

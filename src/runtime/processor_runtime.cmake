# The processing side of the runtime: the Processor API's Topology and node graph, the
# sub-topology split, StreamTask, and the TopologyTestDriver. Included from
# src/runtime/CMakeLists.txt.
add_library(brook_runtime_processor STATIC
  ${CMAKE_CURRENT_LIST_DIR}/topology.cc
  ${CMAKE_CURRENT_LIST_DIR}/node.cc
  ${CMAKE_CURRENT_LIST_DIR}/processor_topology.cc
  ${CMAKE_CURRENT_LIST_DIR}/stream_task.cc
  ${CMAKE_CURRENT_LIST_DIR}/test_driver.cc)
target_link_libraries(brook_runtime_processor PUBLIC brook_state brook_group brook_common)
brook_target_options(brook_runtime_processor)

if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/topology_test.cc)
  brook_gtest(NAME brook_runtime_processor_test LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/topology_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/stream_task_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/test_driver_test.cc
    LIBS brook_runtime_processor)
endif()

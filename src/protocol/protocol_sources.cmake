# Sources of brook_protocol and the code generation step, shared by src/protocol/CMakeLists.txt
# and the standalone fuzz build (fuzz/CMakeLists.txt).
#
# brook_protocol_generate(<out_dir>) runs gen/generate.py on schema/*.json at build time and
# sets, in the caller's scope:
#   BROOK_PROTOCOL_GENERATED_SOURCES          messages.{h,cc}, error_codes.{h,cc}
#   BROOK_PROTOCOL_TESTING_GENERATED_SOURCES  messages_testing.{h,cc}
# Include <out_dir> to use them as "protocol/messages.h" etc.
set(BROOK_PROTOCOL_DIR ${CMAKE_CURRENT_LIST_DIR})
set(BROOK_PROTOCOL_SOURCES
  ${BROOK_PROTOCOL_DIR}/codec.cc
  ${BROOK_PROTOCOL_DIR}/consumer_protocol.cc
  ${BROOK_PROTOCOL_DIR}/framing.cc
  ${BROOK_PROTOCOL_DIR}/versions.cc)

function(brook_protocol_generate out_dir)
  find_package(Python3 COMPONENTS Interpreter REQUIRED)
  file(GLOB schemas CONFIGURE_DEPENDS ${BROOK_PROTOCOL_DIR}/schema/*.json)
  set(gen ${out_dir}/protocol)
  set(main_outputs ${gen}/messages.h ${gen}/messages.cc ${gen}/error_codes.h ${gen}/error_codes.cc)
  set(testing_outputs ${gen}/messages_testing.h ${gen}/messages_testing.cc)
  add_custom_command(
    OUTPUT ${main_outputs} ${testing_outputs}
    COMMAND Python3::Interpreter ${BROOK_PROTOCOL_DIR}/gen/generate.py
            --schema-dir ${BROOK_PROTOCOL_DIR}/schema --out-dir ${out_dir}
    DEPENDS ${BROOK_PROTOCOL_DIR}/gen/generate.py ${schemas}
    COMMENT "Generating Kafka message codecs from src/protocol/schema"
    VERBATIM)
  set(BROOK_PROTOCOL_GENERATED_SOURCES ${main_outputs} PARENT_SCOPE)
  set(BROOK_PROTOCOL_TESTING_GENERATED_SOURCES ${testing_outputs} PARENT_SCOPE)
endfunction()

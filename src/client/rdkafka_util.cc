#include "client/rdkafka_util.h"

namespace brook::client {

Headers MessageHeaders(const rd_kafka_message_t* message) {
  Headers out;
  rd_kafka_headers_t* headers = nullptr;
  // rd_kafka_message_headers takes a non-const message but only reads (and caches) headers.
  if (rd_kafka_message_headers(const_cast<rd_kafka_message_t*>(message), &headers) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return out;
  }
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0;
       rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    Header h;
    h.key = name;
    if (value != nullptr) h.value.emplace(static_cast<const char*>(value), size);
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace brook::client

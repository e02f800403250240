// Umbrella header for brook's Kafka wire-protocol codecs (see README.md in this folder):
// primitives (codec.h), generated messages and error codes, version negotiation
// (versions.h), request/response framing (framing.h) and ConsumerProtocol payloads
// (consumer_protocol.h). Thread-safety: see the individual headers (all values/pure).
#pragma once

#include "protocol/codec.h"              // IWYU pragma: export
#include "protocol/consumer_protocol.h"  // IWYU pragma: export
#include "protocol/error_codes.h"        // IWYU pragma: export
#include "protocol/framing.h"            // IWYU pragma: export
#include "protocol/messages.h"           // IWYU pragma: export
#include "protocol/versions.h"           // IWYU pragma: export

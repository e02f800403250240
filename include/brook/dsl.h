// The Streams DSL (Kafka Streams' StreamsBuilder / KStream / KTable API) in one include:
// StreamsBuilder (dsl/builder.h), KStream (dsl/kstream.h), KTable (dsl/ktable.h),
// KGroupedStream and aggregations (dsl/kgrouped_stream.h), windowing and suppression
// (dsl/windowing.h), joins (dsl/joins.h), options (dsl/options.h). src/dsl/README.md has
// the guide and a Kafka-Streams-to-brook translation table.
//
// Thread-safety: see each header; in short, build on one thread, run the Topology.
#pragma once

#include "brook/dsl/builder.h"
#include "brook/dsl/joins.h"
#include "brook/dsl/kgrouped_stream.h"
#include "brook/dsl/kstream.h"
#include "brook/dsl/ktable.h"
#include "brook/dsl/options.h"
#include "brook/dsl/windowing.h"
#include "brook/state/serde.h"
#include "brook/test_driver.h"
#include "brook/topology.h"

// Forward declarations of the Streams DSL types (brook/dsl.h is the header to include).
//
// Thread-safety: declarations only.
#pragma once

namespace brook {

class StreamsBuilder;
template <typename K, typename V>
class KStream;
template <typename K, typename V>
class KTable;
template <typename K, typename V>
class KGroupedStream;
template <typename K, typename V>
class BranchedKStream;
template <typename K, typename V>
class TimeWindowedKStream;
template <typename K, typename V>
class SessionWindowedKStream;

}  // namespace brook

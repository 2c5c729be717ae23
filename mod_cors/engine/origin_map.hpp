// Origin maps (CORSOriginMap): lists of allowed origins kept outside httpd.conf.
// The parts that need no httpd: the txt: list parser, the normalised key of an
// origin, the per-process answer cache of dbd: maps, and the interface through
// which the decision asks the maps of a scope. No httpd or APR header here.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "origin.hpp"
#include "rules.hpp"

namespace cors {

// What a map says about one valid, non-opaque origin.
enum class MapAnswer { Allowed, NotListed, Unavailable };

// The maps of a scope, as the decision sees them (CORSAllowOriginMap). Asked only
// about a valid origin that no CORSAllowOrigin rule and no pattern allowed.
class OriginOracle {
public:
    // Allowed when one map lists `origin`; Unavailable when none does and one could
    // not answer (its name in `unavailable`, a view that outlives the decision).
    virtual MapAnswer lookup(const Origin& origin, std::string_view& unavailable) const noexcept = 0;

    // The fast path of what browsers send: true when `text` is, byte for byte, an origin
    // that a map lists in its normalised form, known from memory alone (a txt:/dbm: set,
    // a cached dbd: answer), never by asking a database; then `out` is that origin, its
    // views into `text` or the map. Asking it is invisible: false means "ask lookup()".
    // `hash` is OriginRules::hash_of(text), computed once for every set asked.
    virtual bool lists_serialised(std::string_view text, std::size_t hash, Origin& out) const noexcept {
        return false;
    }

protected:
    ~OriginOracle() = default;
};

// Longest normalised key: "scheme://host:65535".
constexpr std::size_t kMaxOriginKeyLength = kMaxOriginLength + 8;

// The normalised text of a valid, non-opaque origin, as maps store it: scheme and
// host in lower case, the port only when it is not the scheme's default
// ("HTTPS://Partner.Example:443" -> "https://partner.example"). Written into
// `buffer` (kMaxOriginKeyLength bytes); empty when it does not fit.
std::string_view origin_key(const Origin& origin, char* buffer) noexcept;

// The origin of a key origin_key() made (no validation: `key` must be one); views into `key`.
void origin_from_key(std::string_view key, Origin& out) noexcept;

// One line of a list that is not a valid origin.
struct ListProblem {
    std::size_t line;     // 1-based
    std::string text;     // the offending text (shortened)
    std::string error;    // why
};

// Parses the text of a txt: map: one serialised origin per line, '#' starts a
// comment, blank lines and surrounding white space ignored; anything after the
// origin on the same line (a RewriteMap value, as httxt2dbm needs one) ignored.
// Entries are exact origins, normalised as CORSAllowOrigin's; "*", "null",
// wildcards and malformed origins are skipped and reported in `problems`.
// Returns the number of origins added to `out`.
std::size_t parse_origin_list(std::string_view text, OriginRules& out, std::vector<ListProblem>& problems);

// Checks one key (of a dbm: file, or one field of a line): empty string or the error.
std::string check_map_entry(std::string_view entry);

// Monotonic milliseconds; injected in tests.
using Clock = std::function<std::int64_t()>;
std::int64_t steady_milliseconds() noexcept;

// A per-process cache of the answers (allowed or not) of one map, keyed by the
// normalised origin: bounded (least recently used out), each answer reused for at
// most `ttl_ms`. Thread-safe; split into shards, each with its own mutex, so that
// threads asking about different origins seldom wait for one another.
class AnswerCache {
public:
    enum class Hit { Miss, Allowed, NotListed };

    AnswerCache(std::size_t capacity, std::int64_t ttl_ms, Clock clock = steady_milliseconds,
                std::size_t shards = 8);
    AnswerCache(const AnswerCache&) = delete;
    AnswerCache& operator=(const AnswerCache&) = delete;

    // A fresh answer for `key`, or Miss (unknown or older than the ttl).
    Hit get(std::string_view key) { return get(key, clock_()); }
    // Stores the map's answer for `key`. A ttl of 0 stores nothing.
    void put(std::string_view key, bool allowed) { put(key, allowed, clock_()); }
    // The same at a time the caller read (httpd's request time): no clock call. Every
    // call on one cache must use the same clock.
    // `stored_ms`, when given, receives the time a hit was stored at.
    Hit get(std::string_view key, std::int64_t now_ms, std::int64_t* stored_ms = nullptr);
    void put(std::string_view key, bool allowed, std::int64_t now_ms);
    // Entries held now, over all shards (expired ones included until evicted).
    std::size_t size() const;
    std::size_t capacity() const noexcept { return capacity_; }
    std::int64_t ttl_ms() const noexcept { return ttl_ms_; }

private:
    struct Entry {
        std::string key;
        bool allowed;
        std::int64_t stored_ms;
    };
    struct Shard {
        mutable std::mutex mutex;
        std::list<Entry> lru;  // most recently used first
        std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
    };
    Shard& shard_of(std::string_view key);

    std::size_t capacity_;
    std::size_t per_shard_;
    std::int64_t ttl_ms_;
    Clock clock_;
    std::vector<std::unique_ptr<Shard>> shards_;
};

// Rate limit for error logs: true at most once per `interval_ms` (thread-safe).
class LogThrottle {
public:
    explicit LogThrottle(std::int64_t interval_ms = 1000) : interval_ms_(interval_ms) {}
    bool allow(std::int64_t now_ms) noexcept;

private:
    std::int64_t interval_ms_;
    std::atomic<std::int64_t> last_{INT64_MIN / 2};
};

}  // namespace cors

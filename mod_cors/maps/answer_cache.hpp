// The per-process plumbing of the origin maps that needs no httpd: the bounded answer
// cache of dbd: maps and the log throttle. Beside the maps, not in the engine: they
// bring threads and locks, which the pure engine does not need.
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

namespace cors {

// Monotonic milliseconds; injected in tests.
using Clock = std::function<std::int64_t()>;
std::int64_t steady_milliseconds() noexcept;

// A per-process cache of the answers (allowed or not) of one map on one database, keyed
// by the normalised origin: bounded (least recently used out), each answer reused for at
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
    // Forgets every answer and takes a new id (a thread's copies of the old answers
    // then miss): for a map whose source was replaced.
    void clear();
    // Entries held now, over all shards (expired ones included until evicted).
    std::size_t size() const;
    std::size_t capacity() const noexcept { return capacity_; }
    std::int64_t ttl_ms() const noexcept { return ttl_ms_; }
    // Unique in the process (never reused, unlike an address): names the cache in a
    // thread's copies of its latest answers.
    std::uint64_t id() const noexcept { return id_.load(std::memory_order_acquire); }

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
    std::atomic<std::uint64_t> id_;
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

#include "answer_cache.hpp"

#include <chrono>

namespace cors {
namespace {
std::atomic<std::uint64_t> g_next_id{1};
}  // namespace

std::int64_t steady_milliseconds() noexcept {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

AnswerCache::AnswerCache(std::size_t capacity, std::int64_t ttl_ms, Clock clock, std::size_t shards)
    : capacity_(capacity ? capacity : 1), ttl_ms_(ttl_ms < 0 ? 0 : ttl_ms), clock_(std::move(clock)),
      id_(g_next_id.fetch_add(1, std::memory_order_relaxed)) {
    if (shards == 0) shards = 1;
    if (shards > capacity_) shards = capacity_;
    per_shard_ = (capacity_ + shards - 1) / shards;
    shards_.reserve(shards);
    for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

AnswerCache::Shard& AnswerCache::shard_of(std::string_view key) {
    return *shards_[std::hash<std::string_view>()(key) % shards_.size()];
}

AnswerCache::Hit AnswerCache::get(std::string_view key, std::int64_t now, std::int64_t* stored_ms) {
    if (ttl_ms_ == 0) return Hit::Miss;
    Shard& s = shard_of(key);
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.index.find(key);
    if (it == s.index.end()) return Hit::Miss;
    const Entry& e = *it->second;
    if (now - e.stored_ms >= ttl_ms_ || now < e.stored_ms) {
        s.lru.erase(it->second);
        s.index.erase(it);
        return Hit::Miss;
    }
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    if (stored_ms) *stored_ms = e.stored_ms;
    return e.allowed ? Hit::Allowed : Hit::NotListed;
}

void AnswerCache::put(std::string_view key, bool allowed, std::int64_t now) {
    if (ttl_ms_ == 0) return;
    Shard& s = shard_of(key);
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.index.find(key);
    if (it != s.index.end()) {
        it->second->allowed = allowed;
        it->second->stored_ms = now;
        s.lru.splice(s.lru.begin(), s.lru, it->second);
        return;
    }
    while (s.lru.size() >= per_shard_) {
        s.index.erase(s.lru.back().key);
        s.lru.pop_back();
    }
    s.lru.push_front(Entry{std::string(key), allowed, now});
    s.index.emplace(s.lru.front().key, s.lru.begin());
}

void AnswerCache::clear() {
    for (const auto& s : shards_) {
        std::lock_guard<std::mutex> lock(s->mutex);
        s->index.clear();
        s->lru.clear();
    }
    id_.store(g_next_id.fetch_add(1, std::memory_order_relaxed), std::memory_order_release);
}

std::size_t AnswerCache::size() const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
        std::lock_guard<std::mutex> lock(s->mutex);
        n += s->lru.size();
    }
    return n;
}

bool LogThrottle::allow(std::int64_t now_ms) noexcept {
    std::int64_t last = last_.load(std::memory_order_relaxed);
    while (now_ms - last >= interval_ms_) {
        if (last_.compare_exchange_weak(last, now_ms, std::memory_order_relaxed)) return true;
    }
    return false;
}

}  // namespace cors

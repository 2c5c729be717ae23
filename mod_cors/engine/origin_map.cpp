#include "origin_map.hpp"

#include <chrono>
#include <cstring>

namespace cors {
namespace {

constexpr std::size_t kQuotedMax = 120;

std::string shortened(std::string_view s) {
    if (s.size() <= kQuotedMax) return std::string(s);
    return std::string(s.substr(0, kQuotedMax)) + "...";
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

std::string_view origin_key(const Origin& origin, char* buffer) noexcept {
    if (origin.opaque) return {};
    const std::size_t need = origin.scheme.size() + 3 + origin.host.size() + 6;
    if (need > kMaxOriginKeyLength) return {};
    std::size_t n = 0;
    for (char c : origin.scheme) buffer[n++] = to_lower_ascii(c);
    buffer[n++] = ':';
    buffer[n++] = '/';
    buffer[n++] = '/';
    for (char c : origin.host) buffer[n++] = to_lower_ascii(c);
    if (origin.explicit_port && origin.port != default_port(origin.scheme)) {
        char digits[5];
        std::size_t d = 0;
        for (unsigned p = origin.port; p; p /= 10) digits[d++] = static_cast<char>('0' + p % 10);
        buffer[n++] = ':';
        while (d) buffer[n++] = digits[--d];
    }
    return std::string_view(buffer, n);
}

void origin_from_key(std::string_view key, Origin& out) noexcept {
    out = Origin{};
    const std::size_t sep = key.find("://");
    out.scheme = key.substr(0, sep);
    std::string_view authority = sep == std::string_view::npos ? std::string_view() : key.substr(sep + 3);
    std::size_t colon = std::string_view::npos;
    if (!authority.empty() && authority[0] == '[') {
        const std::size_t close = authority.find(']');
        if (close != std::string_view::npos && close + 1 < authority.size() && authority[close + 1] == ':')
            colon = close + 1;
    } else {
        colon = authority.find(':');
    }
    out.host = authority.substr(0, colon);
    out.port = default_port(out.scheme);
    if (colon != std::string_view::npos) {
        unsigned port = 0;
        for (char c : authority.substr(colon + 1)) port = port * 10 + static_cast<unsigned>(c - '0');
        out.port = static_cast<std::uint16_t>(port);
        out.explicit_port = true;
    }
}

std::string check_map_entry(std::string_view entry) {
    if (entry == "*") return "\"*\" is not an origin: a map lists exact origins";
    if (entry == "null") return "\"null\" cannot be listed in a map (use CORSAllowOrigin null)";
    if (entry.find('*') != std::string_view::npos) return "wildcards are not allowed in a map (exact origins only)";
    Origin origin;
    OriginError error = parse_origin(entry, origin);
    if (error != OriginError::None) return std::string("not a valid origin (scheme://host[:port]): ") + describe(error);
    return std::string();
}

std::size_t parse_origin_list(std::string_view text, OriginRules& out, std::vector<ListProblem>& problems) {
    std::size_t added = 0;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        const std::size_t hash = line.find('#');
        if (hash != std::string_view::npos) line = line.substr(0, hash);
        std::size_t a = 0;
        while (a < line.size() && is_space(line[a])) ++a;
        std::size_t b = a;
        while (b < line.size() && !is_space(line[b])) ++b;
        const std::string_view entry = line.substr(a, b - a);
        if (entry.empty()) continue;
        std::string error = check_map_entry(entry);
        if (error.empty()) error = out.add(entry);
        if (!error.empty()) {
            problems.push_back(ListProblem{line_no, shortened(entry), std::move(error)});
            continue;
        }
        ++added;
    }
    return added;
}

std::int64_t steady_milliseconds() noexcept {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

AnswerCache::AnswerCache(std::size_t capacity, std::int64_t ttl_ms, Clock clock, std::size_t shards)
    : capacity_(capacity ? capacity : 1), ttl_ms_(ttl_ms < 0 ? 0 : ttl_ms), clock_(std::move(clock)) {
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

#include "origin_set.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <new>
#include <thread>

#include "rules.hpp"  // OriginRules::hash_of: the decision hashes the Origin once for every set

namespace cors {
namespace {

std::size_t page_rounded(std::size_t n) {
    static const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    return (n + page - 1) / page * page;
}

constexpr std::size_t kLengthBytes = 2;

}  // namespace

// ----------------------------------------------------------------- Region

Region::Region(std::size_t capacity) { reserve(capacity); }

Region::Region(Region&& o) noexcept : data_(o.data_), capacity_(o.capacity_) {
    o.data_ = nullptr;
    o.capacity_ = 0;
}

Region& Region::operator=(Region&& o) noexcept {
    if (this != &o) {
        this->~Region();
        data_ = o.data_;
        capacity_ = o.capacity_;
        o.data_ = nullptr;
        o.capacity_ = 0;
    }
    return *this;
}

Region::~Region() {
    if (data_) munmap(data_, capacity_);
}

void Region::reserve(std::size_t need) {
    if (need <= capacity_) return;
    std::size_t size = page_rounded(need < 2 * capacity_ ? 2 * capacity_ : need);
    void* p = data_ ? mremap(data_, capacity_, size, MREMAP_MAYMOVE)
                    : mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<char*>(p);
    capacity_ = size;
}

void Region::shrink_to(std::size_t size) noexcept {
    const std::size_t keep = page_rounded(size ? size : 1);
    if (!data_ || keep >= capacity_) return;
    void* p = mremap(data_, capacity_, keep, 0);  // in place: shrinking never moves
    if (p == MAP_FAILED) return;
    capacity_ = keep;
}

// ----------------------------------------------------------------- OriginSet

std::string_view OriginSet::key_at(std::uint32_t offset) const noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(arena_.data()) + offset;
    const std::size_t n = p[0] | (static_cast<std::size_t>(p[1]) << 8);
    return std::string_view(reinterpret_cast<const char*>(p + kLengthBytes), n);
}

bool OriginSet::contains(std::string_view key, std::size_t hash) const noexcept {
    if (slots_ == 0) return false;
    const std::uint32_t* t = table();
    const std::size_t mask = slots_ - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {  // at most half full: ends
        const std::uint32_t slot = t[i];
        if (slot == 0) return false;
        if (key_at(slot - 1) == key) return true;
    }
}

bool OriginSet::contains(std::string_view key) const noexcept { return contains(key, OriginRules::hash_of(key)); }

bool OriginSet::insert(std::string_view key, std::size_t hash, std::uint32_t offset) noexcept {
    std::uint32_t* t = table();
    const std::size_t mask = slots_ - 1;
    std::size_t i = hash & mask;
    for (; t[i] != 0; i = (i + 1) & mask)
        if (key_at(t[i] - 1) == key) return false;
    t[i] = offset + 1;
    return true;
}

OriginSet::Builder::Builder(std::size_t expected, std::size_t bytes) : set_(new OriginSet()) {
    std::size_t slots = 16;
    while (slots < 2 * expected) slots *= 2;
    set_->table_ = Region(slots * sizeof(std::uint32_t));  // mmap'ed: zeroed
    set_->slots_ = slots;
    set_->arena_ = Region(bytes + 64);
}

void OriginSet::Builder::grow_table() {
    OriginSet& s = *set_;
    const std::size_t slots = s.slots_ * 2;
    Region bigger(slots * sizeof(std::uint32_t));
    std::swap(s.table_, bigger);
    s.slots_ = slots;
    for (std::size_t at = 0; at < s.used_;) {  // every key once, in arena order
        const std::string_view key = s.key_at(static_cast<std::uint32_t>(at));
        s.insert(key, OriginRules::hash_of(key), static_cast<std::uint32_t>(at));
        at += kLengthBytes + key.size();
    }
}

bool OriginSet::Builder::add(std::string_view key) {
    OriginSet& s = *set_;
    if (key.size() > 0xffff || s.used_ + kLengthBytes + key.size() > 0xfffffff0u) throw std::bad_alloc();
    if (2 * (s.count_ + 1) > s.slots_) grow_table();
    const std::size_t hash = OriginRules::hash_of(key);
    s.arena_.reserve(s.used_ + kLengthBytes + key.size());
    // Written past the end first: kept only when the key is new.
    auto* p = reinterpret_cast<unsigned char*>(s.arena_.data()) + s.used_;
    p[0] = static_cast<unsigned char>(key.size() & 0xff);
    p[1] = static_cast<unsigned char>(key.size() >> 8);
    std::memcpy(p + kLengthBytes, key.data(), key.size());
    if (!s.insert(key, hash, static_cast<std::uint32_t>(s.used_))) return false;
    s.used_ += kLengthBytes + key.size();
    ++s.count_;
    return true;
}

std::unique_ptr<const OriginSet> OriginSet::Builder::finish() {
    set_->arena_.shrink_to(set_->used_);
    return std::unique_ptr<const OriginSet>(set_.release());
}

// ----------------------------------------------------------------- PublishedSet

PublishedSet::Reader::Reader(const PublishedSet& p) noexcept : p_(p) {
    for (;;) {
        const int slot = p.current_.load();
        p.readers_[slot].fetch_add(1);
        if (p.current_.load() == slot) {  // still current: the writer waits for us
            slot_ = slot;
            set_ = p.sets_[slot].load(std::memory_order_acquire);
            return;
        }
        p.readers_[slot].fetch_sub(1);  // replaced meanwhile: read the new one
    }
}

PublishedSet::Reader::~Reader() { p_.readers_[slot_].fetch_sub(1, std::memory_order_release); }

void PublishedSet::wait_for_readers(int slot) const noexcept {
    while (readers_[slot].load() != 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
}

void PublishedSet::publish(std::unique_ptr<const OriginSet> set) {
    const int old = current_.load();
    const int next = 1 - old;
    // The other slot is empty (freed by the previous publish); a reader may have counted
    // itself there for a moment, but reads it only after seeing it current.
    sets_[next].store(set.release(), std::memory_order_release);
    current_.store(next);
    wait_for_readers(old);
    delete sets_[old].exchange(nullptr);
}

PublishedSet::~PublishedSet() {
    delete sets_[0].load();
    delete sets_[1].load();
}

}  // namespace cors

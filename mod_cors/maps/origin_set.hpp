// The set of a txt: or dbm: origin map, built for a million origins: one arena per set
// holding each normalised origin once ([2-byte length][bytes]), and an open-addressing
// table of 4-byte offsets into it (linear probing, at most half full), both mapped
// straight from the kernel (mmap) and returned to it when the set goes, so that a
// reload never leaves a malloc arena behind. No node, no std::string per origin:
// about (origin length + 2) + 8 to 16 bytes per origin. Immutable once built.
//
// PublishedSet: the set a map's requests read, replaced by one reloading thread without
// making a reader wait; at most two sets alive, and one once the old set's readers left.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace cors {

// Anonymous memory from mmap, grown with mremap; munmap'ed when destroyed.
class Region {
public:
    Region() = default;
    explicit Region(std::size_t capacity);
    Region(Region&& o) noexcept;
    Region& operator=(Region&& o) noexcept;
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;
    ~Region();

    char* data() const noexcept { return data_; }
    std::size_t capacity() const noexcept { return capacity_; }
    // Capacity of at least `need` bytes, keeping the content (throws std::bad_alloc).
    void reserve(std::size_t need);
    // Gives back the pages beyond `size` bytes.
    void shrink_to(std::size_t size) noexcept;

private:
    char* data_ = nullptr;
    std::size_t capacity_ = 0;
};

class OriginSet {
public:
    // Builds a set. `expected` entries size the table once (it grows beyond); `bytes`
    // sizes the arena once (a txt: file's size bounds its keys' bytes).
    class Builder {
    public:
        Builder(std::size_t expected, std::size_t bytes);
        // Adds a normalised key (map_entry_key); false when it is there already.
        bool add(std::string_view key);
        std::unique_ptr<const OriginSet> finish();

    private:
        void grow_table();
        std::unique_ptr<OriginSet> set_;
    };

    // True when `key` (a normalised origin, as a browser sends it) is in the set; `hash`
    // is OriginRules::hash_of(key). One probe sequence, no allocation.
    bool contains(std::string_view key, std::size_t hash) const noexcept;
    bool contains(std::string_view key) const noexcept;
    std::size_t size() const noexcept { return count_; }
    // Bytes held: arena and table.
    std::size_t bytes() const noexcept { return used_ + slots_ * sizeof(std::uint32_t); }

private:
    OriginSet() = default;
    std::string_view key_at(std::uint32_t offset) const noexcept;
    std::uint32_t* table() const noexcept { return reinterpret_cast<std::uint32_t*>(table_.data()); }
    bool insert(std::string_view key, std::size_t hash, std::uint32_t offset) noexcept;

    Region arena_;
    Region table_;
    std::size_t used_ = 0;   // bytes of arena_ in use
    std::size_t slots_ = 0;  // a power of two; 0 in a slot: empty, otherwise offset + 1
    std::size_t count_ = 0;
};

// The current set of one map. Readers (any thread, any time) acquire it for the length
// of one lookup; one writer at a time (the map's reloading thread, or the configuration)
// publishes a new one. Two slots, each with a count of its readers: a reader counts
// itself in the current slot and checks the slot is still current; the writer fills the
// other slot, makes it current, waits for the old slot's readers to leave (they hold it
// for one lookup, never across a call that blocks) and frees the old set. Readers never
// wait, take no lock and allocate nothing.
class PublishedSet {
public:
    class Reader {
    public:
        explicit Reader(const PublishedSet& p) noexcept;
        ~Reader();
        Reader(const Reader&) = delete;
        Reader& operator=(const Reader&) = delete;
        const OriginSet* get() const noexcept { return set_; }

    private:
        const PublishedSet& p_;
        int slot_;
        const OriginSet* set_;
    };

    PublishedSet() = default;
    PublishedSet(const PublishedSet&) = delete;
    PublishedSet& operator=(const PublishedSet&) = delete;
    ~PublishedSet();

    // One writer at a time. Returns once the set it replaced is freed.
    void publish(std::unique_ptr<const OriginSet> set);

private:
    void wait_for_readers(int slot) const noexcept;
    std::atomic<int> current_{0};
    std::atomic<const OriginSet*> sets_[2] = {nullptr, nullptr};
    mutable std::atomic<long> readers_[2] = {0, 0};
};

}  // namespace cors

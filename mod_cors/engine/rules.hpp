// The lists a scope configures: allowed origins, methods and header names.
// Built once at configuration time, immutable and thread-safe afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "origin.hpp"

namespace cors {

// CORSAllowOrigin: exact origins, subdomain and port wildcards, "*", "null".
class OriginRules {
public:
    // Parses one argument of CORSAllowOrigin and adds it. Returns an empty string
    // or the error text (malformed origin, wildcard on a public suffix, ...).
    std::string add(std::string_view spec);

    // True when `origin` (already validated) matches a rule. "*" never matches
    // the opaque origin; only "null" does. With `honour_any` false, "*" is ignored
    // (it met credentials through merging).
    bool allows(const Origin& origin, bool honour_any = true) const noexcept;

    // True when `text` is, byte for byte, the serialisation of an exact rule as a
    // browser sends it (lower case, no default port): then `out` is that origin,
    // parsed, its views pointing into the rules. One hash, one comparison, no parse.
    bool find_serialised(std::string_view text, Origin& out) const noexcept {
        return find_serialised(text, hash_of(text), out);
    }
    // The same with `text`'s hash_of() already computed: one hash serves several sets
    // (the exact origins, then an origin map's).
    bool find_serialised(std::string_view text, std::size_t hash, Origin& out) const noexcept;
    static std::size_t hash_of(std::string_view text) noexcept;

    bool any() const noexcept { return any_; }
    bool null() const noexcept { return null_; }
    // The rules as origins again ("https://a.example", "https://*.b.example:*", "null", "*"),
    // for the configuration checks and the policy view.
    std::vector<std::string> listed() const;
    bool has_insecure_http() const noexcept { return insecure_http_; }
    std::size_t size() const noexcept { return exact_.size() + wildcards_.size() + any_ + null_; }

private:
    // An exact origin, kept as its serialisation "scheme://host[:port]" (lower case,
    // the port only when it is not the scheme's default) with the offsets of its parts.
    struct Exact {
        std::string text;
        std::uint16_t scheme_size;
        std::uint16_t host_at;
        std::uint16_t host_size;
        std::uint16_t port;
        bool explicit_port;
    };
    struct Wildcard {
        std::string scheme;       // lower case
        std::string suffix;       // ".example.com" (subdomains) or "example.com" (exact host)
        bool subdomains;          // "*.example.com"
        bool any_port;            // ":*"
        std::uint16_t port;       // effective port when !any_port
    };

    // The exact origins in an open-addressing hash table (linear probing, at most half
    // full): slots_ holds 1 + an index into exact_, 0 for an empty slot. Built at
    // configuration time; a lookup hashes a string_view and compares one or two keys,
    // without allocating (std::unordered_set<std::string> cannot look up a string_view
    // in C++17 without building a std::string).
    const Exact* find(std::string_view key, std::size_t hash) const noexcept;
    void insert_slot(std::uint32_t index);

    std::vector<Exact> exact_;
    std::vector<std::uint32_t> slots_;
    std::vector<Wildcard> wildcards_;
    bool any_ = false;
    bool null_ = false;
    bool insecure_http_ = false;
};

// True when `domain` (lower case, no leading dot) is a public suffix by the
// Public Suffix List (libpsl): "com", "co.uk", "github.io".
bool is_public_suffix(std::string_view domain);

// RFC 9110 token (method names and header field names).
bool is_token(std::string_view s) noexcept;

// CORSAllowMethods, CORSAllowHeaders, CORSExposeHeaders: a list of names or "*".
class NameList {
public:
    enum class Kind { Method, Header };
    explicit NameList(Kind kind) : kind_(kind) {}

    // Adds one argument ("*" or a token). Returns an empty string or the error.
    std::string add(std::string_view name);

    bool any() const noexcept { return any_; }
    // Methods compare case-sensitively, header names case-insensitively.
    bool contains(std::string_view name) const noexcept;
    // A header list holds `lower`, a name already in lower case: plain comparisons.
    bool contains_lower(std::string_view lower) const noexcept;
    // The names as configured, joined with ", " ("*" first when set).
    const std::string& joined() const noexcept { return joined_; }
    const std::vector<std::string>& names() const noexcept { return names_; }
    Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
    bool any_ = false;
    std::vector<std::string> names_;
    std::vector<std::string> lower_;  // header names lower-cased (Kind::Header)
    std::string joined_;
};

// CORSMaxAge: 0 to 86400. Returns an empty string or the error text.
std::string parse_max_age(std::string_view text, int& seconds);

// Calls `fn(element)` for each non-empty element of a comma-separated list with
// optional white space (RFC 9110 #rule). Linear in the input. Returns false, and
// stops, as soon as `fn` returns false.
template <class Fn>
bool for_each_list_element(std::string_view list, Fn&& fn) {
    std::size_t i = 0;
    const std::size_t n = list.size();
    while (i < n) {
        std::size_t start = i;
        while (i < n && list[i] != ',') ++i;
        std::size_t end = i;
        while (start < end && (list[start] == ' ' || list[start] == '\t')) ++start;
        while (end > start && (list[end - 1] == ' ' || list[end - 1] == '\t')) --end;
        if (end > start && !fn(list.substr(start, end - start))) return false;
        ++i;  // skip the comma
    }
    return true;
}

}  // namespace cors

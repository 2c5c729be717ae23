#include "rules.hpp"

#include <libpsl.h>

#include <algorithm>
#include <cstring>

namespace cors {
namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

constexpr std::string_view kSubdomainPrefix = "*.";
constexpr std::string_view kAnyPortSuffix = ":*";
constexpr std::string_view kSchemeSeparator = "://";

// The longest key: scheme and host of an origin that parsed, "://", ":65535".
constexpr std::size_t kMaxKeyLength = kMaxOriginLength + 16;

// Appends `s` lower-cased (ASCII) at `out`; returns the end.
char* put_lower(char* out, std::string_view s) noexcept {
    for (char c : s) *out++ = to_lower_ascii(c);
    return out;
}

// The serialisation a browser sends for `origin` (valid, not opaque), lower case:
// "scheme://host", then ":port" unless the port is the scheme's default. Writes at
// most kMaxKeyLength bytes into `out`, returns how many, or 0 when it would not fit.
std::size_t serialise_lower(const Origin& origin, char* out) noexcept {
    if (origin.scheme.size() + origin.host.size() > kMaxOriginLength) return 0;
    char* p = put_lower(out, origin.scheme);
    std::memcpy(p, kSchemeSeparator.data(), kSchemeSeparator.size());
    p = put_lower(p + kSchemeSeparator.size(), origin.host);
    if (origin.port != default_port(origin.scheme)) {
        char digits[5];
        int n = 0;
        for (unsigned v = origin.port; v; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
        *p++ = ':';
        while (n) *p++ = digits[--n];
    }
    return static_cast<std::size_t>(p - out);
}

// FNV-1a over 8-byte words (then the tail bytes): the table is filled from the
// configuration, so a fast, well-mixing hash is all it needs.
std::size_t hash_key(std::string_view key) noexcept {
    constexpr std::uint64_t kPrime = 1099511628211ull;
    std::uint64_t h = 1469598103934665603ull ^ key.size();
    std::size_t i = 0;
    for (; i + 8 <= key.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, key.data() + i, 8);
        h = (h ^ word) * kPrime;
        h ^= h >> 29;
    }
    for (; i < key.size(); ++i) h = (h ^ static_cast<unsigned char>(key[i])) * kPrime;
    return static_cast<std::size_t>(h ^ (h >> 32));
}

}  // namespace

std::size_t OriginRules::hash_of(std::string_view text) noexcept { return hash_key(text); }

const OriginRules::Exact* OriginRules::find(std::string_view key, std::size_t hash) const noexcept {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;  // a power of two, at most half full
    std::size_t i = hash & mask;
    for (std::size_t probes = 0; probes <= mask; ++probes, i = (i + 1) & mask) {
        const std::uint32_t slot = slots_[i];
        if (slot == 0) return nullptr;  // an empty slot ends every probe
        const Exact& e = exact_[slot - 1];
        if (e.text == key) return &e;
    }
    return nullptr;
}

void OriginRules::insert_slot(std::uint32_t index) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash_key(exact_[index].text) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = index + 1;
}

std::string OriginRules::add(std::string_view spec) {
    if (spec == "*") {
        any_ = true;
        return std::string();
    }
    if (spec == "null") {
        null_ = true;
        return std::string();
    }
    // Validate the origin with its wildcards taken out, then put them back.
    const std::size_t sep = spec.find("://");
    std::string_view authority = sep == std::string_view::npos ? std::string_view() : spec.substr(sep + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    const bool subdomains = authority.substr(0, kSubdomainPrefix.size()) == kSubdomainPrefix;
    const bool any_port = authority.size() >= kAnyPortSuffix.size() &&
                          authority.substr(authority.size() - kAnyPortSuffix.size()) == kAnyPortSuffix;

    std::string plain(spec);
    if (sep != std::string_view::npos) {
        std::size_t at = sep + 3;
        if (any_port) plain.erase(at + authority.size() - kAnyPortSuffix.size(), kAnyPortSuffix.size());
        if (subdomains) plain.erase(at, kSubdomainPrefix.size());
    }
    Origin origin;
    OriginError error = parse_origin(plain, origin);
    if (error != OriginError::None || origin.opaque)
        return quoted(spec) + " is not a valid origin (scheme://host[:port]): " +
               (origin.opaque ? "\"null\" cannot take a wildcard" : describe(error));
    if (any_port && origin.explicit_port)
        return quoted(spec) + " is not a valid origin: two ports";

    char key[kMaxKeyLength];
    const std::size_t key_size = serialise_lower(origin, key);
    const std::string_view scheme(key, origin.scheme.size());
    const std::string_view host(key + scheme.size() + kSchemeSeparator.size(), origin.host.size());
    const bool insecure = scheme == "http" || scheme == "ws";

    if (subdomains) {
        std::string_view domain = host;
        if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
        if (domain.find('.') == std::string_view::npos || is_public_suffix(domain))
            return quoted(spec) + ": \"*." + std::string(domain) +
                   "\" would allow every site under a public suffix (Public Suffix List)";
    }
    insecure_http_ = insecure_http_ || insecure;
    if (subdomains || any_port) {
        wildcards_.push_back(Wildcard{std::string(scheme), subdomains ? "." + std::string(host) : std::string(host),
                                      subdomains, any_port, origin.port});
        return std::string();
    }
    const std::string_view text(key, key_size);
    if (find(text, hash_key(text))) return std::string();  // listed twice
    exact_.push_back(Exact{std::string(text), static_cast<std::uint16_t>(scheme.size()),
                           static_cast<std::uint16_t>(scheme.size() + kSchemeSeparator.size()),
                           static_cast<std::uint16_t>(host.size()), origin.port, origin.port != default_port(scheme)});
    if (2 * exact_.size() > slots_.size()) {  // keep it at most half full: rebuild larger
        std::size_t size = 16;                  // a power of two: the probe masks the hash
        while (size < 4 * exact_.size()) size *= 2;
        slots_.assign(size, 0);
        for (std::uint32_t i = 0; i < exact_.size(); ++i) insert_slot(i);
    } else {
        insert_slot(static_cast<std::uint32_t>(exact_.size() - 1));
    }
    return std::string();
}

bool OriginRules::find_serialised(std::string_view text, std::size_t hash, Origin& out) const noexcept {
    const Exact* e = find(text, hash);
    if (!e) return false;
    const std::string_view stored(e->text);
    out = Origin{};
    out.scheme = stored.substr(0, e->scheme_size);
    out.host = stored.substr(e->host_at, e->host_size);
    out.port = e->port;
    out.explicit_port = e->explicit_port;
    return true;
}

bool OriginRules::allows(const Origin& origin, bool honour_any) const noexcept {
    if (origin.opaque) return null_;
    if (any_ && honour_any) return true;
    // Rules are stored lower case: fold the request's scheme and host once.
    char key[kMaxKeyLength];
    const std::size_t key_size = exact_.empty() && wildcards_.empty() ? 0 : serialise_lower(origin, key);
    if (key_size == 0) return false;
    if (const std::string_view k(key, key_size); find(k, hash_key(k))) return true;
    const std::string_view scheme(key, origin.scheme.size());
    const std::string_view host(key + scheme.size() + kSchemeSeparator.size(), origin.host.size());
    for (const Wildcard& w : wildcards_) {
        if ((!w.any_port && w.port != origin.port) || w.scheme != scheme) continue;
        if (w.subdomains ? host.size() > w.suffix.size() && host.substr(host.size() - w.suffix.size()) == w.suffix
                         : host == w.suffix)
            return true;
    }
    return false;
}

std::vector<std::string> OriginRules::listed() const {
    std::vector<std::string> out;
    if (any_) out.emplace_back("*");
    if (null_) out.emplace_back("null");
    for (const Exact& e : exact_) out.push_back(e.text);
    for (const Wildcard& w : wildcards_) {
        std::string s = w.scheme + "://" + (w.subdomains ? "*" + w.suffix : w.suffix);
        if (w.any_port) s += ":*";
        else if (w.port != default_port(w.scheme)) s += ":" + std::to_string(w.port);
        out.push_back(std::move(s));
    }
    return out;
}

bool is_public_suffix(std::string_view domain) {
    psl_ctx_t* latest = psl_latest(nullptr);
    const psl_ctx_t* psl = latest ? latest : psl_builtin();
    std::string name(domain);
    bool result = psl == nullptr || psl_is_public_suffix(psl, name.c_str()) != 0;
    psl_free(latest);
    return result;
}

namespace {

// RFC 9110 tchar: ALPHA, DIGIT and "!#$%&'*+-.^_`|~".
struct TokenChars {
    bool table[256] = {};
    constexpr TokenChars() {
        for (int c = '0'; c <= '9'; ++c) table[c] = true;
        for (int c = 'a'; c <= 'z'; ++c) table[c] = table[c - 'a' + 'A'] = true;
        for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
    }
};
constexpr TokenChars kTokenChars;

}  // namespace

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!kTokenChars.table[static_cast<unsigned char>(c)]) return false;
    return true;
}

std::string NameList::add(std::string_view name) {
    const char* what = kind_ == Kind::Method ? "method" : "header name";
    if (name == "*") {
        if (any_) return std::string();
        any_ = true;
        joined_ = joined_.empty() ? "*" : "*, " + joined_;
        return std::string();
    }
    if (!is_token(name)) return quoted(name) + " is not a valid " + what + " (an HTTP token)";
    if (contains(name)) return std::string();
    names_.emplace_back(name);
    if (kind_ == Kind::Header) {
        std::string& lower = lower_.emplace_back(name);
        for (char& c : lower) c = to_lower_ascii(c);
    }
    if (!joined_.empty()) joined_ += ", ";
    joined_ += name;
    return std::string();
}

bool NameList::contains(std::string_view name) const noexcept {
    for (const std::string& n : names_)
        if (kind_ == Kind::Method ? n == name : iequals(n, name)) return true;
    return false;
}

bool NameList::contains_lower(std::string_view lower) const noexcept {
    for (const std::string& n : lower_)
        if (n == lower) return true;
    return false;
}

std::string parse_max_age(std::string_view text, int& seconds) {
    constexpr int kMaxSeconds = 86400;
    bool digits = !text.empty() && text.size() <= 9 &&
                  std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    long value = 0;
    if (digits)
        for (char c : text) value = value * 10 + (c - '0');
    if (!digits || value > kMaxSeconds)
        return quoted(text) + " is not a number of seconds from 0 to 86400";
    seconds = static_cast<int>(value);
    return std::string();
}

}  // namespace cors

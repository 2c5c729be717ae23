#include "rules.hpp"

#include <libpsl.h>

#include <algorithm>
#include <cctype>

namespace cors {
namespace {

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

constexpr std::string_view kSubdomainPrefix = "*.";
constexpr std::string_view kAnyPortSuffix = ":*";

}  // namespace

std::size_t OriginRules::KeyHash::operator()(const Key& k) const noexcept {
    // FNV-1a; both sides of a lookup are lower case.
    std::size_t h = 1469598103934665603ull;
    auto mix = [&h](std::string_view s) {
        for (char c : s) {
            h ^= static_cast<unsigned char>(c);
            h *= 1099511628211ull;
        }
        h ^= 0xff;  // separator
        h *= 1099511628211ull;
    };
    mix(k.scheme);
    mix(k.host);
    return h ^ k.port;
}

bool OriginRules::KeyEq::operator()(const Key& a, const Key& b) const noexcept {
    return a.port == b.port && a.host == b.host && a.scheme == b.scheme;
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

    std::string scheme = to_lower(origin.scheme);
    std::string host = to_lower(origin.host);
    const bool insecure = scheme == "http" || scheme == "ws";

    if (subdomains) {
        std::string domain = host;
        if (!domain.empty() && domain.back() == '.') domain.pop_back();
        if (domain.find('.') == std::string::npos || is_public_suffix(domain))
            return quoted(spec) + ": \"*." + domain +
                   "\" would allow every site under a public suffix (Public Suffix List)";
    }
    insecure_http_ = insecure_http_ || insecure;
    if (subdomains || any_port) {
        wildcards_.push_back(Wildcard{scheme, subdomains ? "." + host : host, subdomains, any_port, origin.port});
        return std::string();
    }
    storage_.push_back(std::move(scheme));
    std::string_view scheme_view = storage_.back();
    storage_.push_back(std::move(host));
    exact_.insert(Key{scheme_view, storage_.back(), origin.port});
    return std::string();
}

bool OriginRules::allows(const Origin& origin, bool honour_any) const noexcept {
    if (origin.opaque) return null_;
    if (any_ && honour_any) return true;
    // Rules are stored lower case: fold the request's scheme and host once.
    char buffer[kMaxOriginLength];
    if (origin.scheme.size() + origin.host.size() > sizeof buffer) return false;
    auto fold = [&buffer](std::string_view s, std::size_t at) {
        for (std::size_t i = 0; i < s.size(); ++i) buffer[at + i] = to_lower_ascii(s[i]);
        return std::string_view(buffer + at, s.size());
    };
    const std::string_view scheme = fold(origin.scheme, 0);
    const std::string_view host = fold(origin.host, origin.scheme.size());
    if (!exact_.empty() && exact_.count(Key{scheme, host, origin.port})) return true;
    for (const Wildcard& w : wildcards_) {
        if ((!w.any_port && w.port != origin.port) || w.scheme != scheme) continue;
        if (w.subdomains ? host.size() > w.suffix.size() && host.substr(host.size() - w.suffix.size()) == w.suffix
                         : host == w.suffix)
            return true;
    }
    return false;
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
    if (!joined_.empty()) joined_ += ", ";
    joined_ += name;
    return std::string();
}

bool NameList::contains(std::string_view name) const noexcept {
    for (const std::string& n : names_)
        if (kind_ == Kind::Method ? n == name : iequals(n, name)) return true;
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

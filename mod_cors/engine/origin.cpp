#include "origin.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace cors {
namespace {

// Bytes that never appear in a valid Origin: controls, space, DEL, non-ASCII, and
// '%', ',' and '\\' (percent-encoding, header lists, escapes).
struct ForbiddenBytes {
    bool table[256] = {};
    constexpr ForbiddenBytes() {
        for (int c = 0; c < 256; ++c) table[c] = c <= 0x20 || c >= 0x7f || c == '%' || c == ',' || c == '\\';
    }
};
constexpr ForbiddenBytes kForbidden;
constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_host_char(char c) noexcept {
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_';
}
constexpr bool is_visible_ascii(char c) noexcept { return c > 0x20 && c < 0x7f; }

constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxLabelLength = 63;

bool valid_scheme(std::string_view s) noexcept {
    if (s.empty() || !is_alpha(s[0])) return false;
    for (char c : s)
        if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.')) return false;
    return true;
}

bool valid_dns_host(std::string_view h) noexcept {
    if (!h.empty() && h.back() == '.') h.remove_suffix(1);  // one trailing dot, as in DNS
    if (h.empty() || h.size() > kMaxHostLength) return false;
    std::size_t label = 0;
    for (char c : h) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
        } else if (!is_host_char(c) || ++label > kMaxLabelLength) {
            return false;
        }
    }
    return label != 0;
}

bool valid_ipv6_literal(std::string_view h) noexcept {
    // "[" IPv6address "]" as inet_pton reads it; no zone identifier.
    constexpr std::size_t kMaxIpv6Text = 45;
    if (h.size() < 4 || h.size() > kMaxIpv6Text + 2 || h.front() != '[' || h.back() != ']') return false;
    char text[kMaxIpv6Text + 1];
    std::memcpy(text, h.data() + 1, h.size() - 2);
    text[h.size() - 2] = '\0';
    unsigned char address[16];
    return inet_pton(AF_INET6, text, address) == 1;
}

// Parses "1".."65535" without leading zeros.
bool parse_port(std::string_view s, std::uint16_t& port) noexcept {
    if (s.empty() || s.size() > 5 || s[0] == '0') return false;
    unsigned value = 0;
    for (char c : s) {
        if (!is_digit(c)) return false;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
    return true;
}

// Splits "host[:port]" (host may be an IPv6 literal) and validates both.
OriginError parse_host_port(std::string_view authority, std::string_view scheme, Origin& out) noexcept {
    std::string_view host = authority;
    std::string_view port_text;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return OriginError::BadHost;
        host = authority.substr(0, close + 1);
        std::string_view rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return OriginError::BadHost;
            has_port = true;
            port_text = rest.substr(1);
        }
        if (!valid_ipv6_literal(host)) return OriginError::BadHost;
    } else {
        std::size_t colon = authority.find(':');
        if (colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port_text = authority.substr(colon + 1);
            has_port = true;
        }
        if (!valid_dns_host(host)) return OriginError::BadHost;
    }
    out.host = host;
    out.explicit_port = has_port;
    if (has_port) {
        if (!parse_port(port_text, out.port)) return OriginError::BadPort;
    } else {
        out.port = default_port(scheme);
    }
    return OriginError::None;
}

}  // namespace

const char* describe(OriginError e) noexcept {
    switch (e) {
        case OriginError::None: return "valid";
        case OriginError::Empty: return "empty";
        case OriginError::TooLong: return "too long";
        case OriginError::BadScheme: return "bad scheme";
        case OriginError::NoAuthority: return "no \"://\" after the scheme";
        case OriginError::UserInfo: return "user info";
        case OriginError::BadHost: return "bad host";
        case OriginError::BadPort: return "bad port";
        case OriginError::HasPath: return "path or trailing slash";
        case OriginError::HasQuery: return "query";
        case OriginError::HasFragment: return "fragment";
        case OriginError::BadByte: return "byte outside the allowed set";
        case OriginError::Several: return "several Origin headers";
    }
    return "invalid";
}

std::uint16_t default_port(std::string_view scheme) noexcept {
    switch (scheme.size()) {
        case 2: return iequals(scheme, "ws") ? 80 : 0;
        case 3: return iequals(scheme, "wss") ? 443 : 0;
        case 4: return iequals(scheme, "http") ? 80 : 0;
        case 5: return iequals(scheme, "https") ? 443 : 0;
        default: return 0;
    }
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    if (a == b) return true;  // the common case: both already lower case
    for (std::size_t i = 0; i < a.size(); ++i)
        if (to_lower_ascii(a[i]) != to_lower_ascii(b[i])) return false;
    return true;
}

OriginError parse_origin(std::string_view text, Origin& out) noexcept {
    out = Origin{};
    if (text.empty()) return OriginError::Empty;
    if (text.size() > kMaxOriginLength) return OriginError::TooLong;
    if (text == "null") {
        out.opaque = true;
        return OriginError::None;
    }
    // One pass: forbidden bytes anywhere, the first "://", then where the authority
    // ends ("/", "?" or "#") and whether it holds user info ("@").
    constexpr std::size_t npos = std::string_view::npos;
    const std::size_t n = text.size();
    std::size_t sep = npos, end = npos;
    bool user_info = false;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = text[i];
        if (kForbidden.table[static_cast<unsigned char>(c)]) return OriginError::BadByte;
        if (sep == npos) {
            if (c == ':' && i + 2 < n && text[i + 1] == '/' && text[i + 2] == '/') sep = i;
        } else if (i >= sep + 3 && end == npos) {
            if (c == '/' || c == '?' || c == '#') end = i;
            else if (c == '@') user_info = true;
        }
    }
    if (sep == npos) {
        return valid_scheme(text.substr(0, text.find(':'))) ? OriginError::NoAuthority
                                                             : OriginError::BadScheme;
    }
    std::string_view scheme = text.substr(0, sep);
    if (!valid_scheme(scheme)) return OriginError::BadScheme;
    if (user_info) return OriginError::UserInfo;
    if (end != npos) {
        switch (text[end]) {
            case '/': return OriginError::HasPath;
            case '?': return OriginError::HasQuery;
            default: return OriginError::HasFragment;
        }
    }
    out.scheme = scheme;
    return parse_host_port(text.substr(sep + 3), scheme, out);
}

bool same_origin(const Origin& a, const Origin& b) noexcept {
    if (a.opaque || b.opaque) return false;
    return a.port == b.port && iequals(a.scheme, b.scheme) && iequals(a.host, b.host);
}

bool same_origin_as_host(const Origin& origin, std::string_view scheme, std::string_view host_header) noexcept {
    if (origin.opaque || host_header.empty() || !iequals(origin.scheme, scheme)) return false;
    std::string_view host = host_header, port_text;
    bool has_port = false;
    const std::size_t split = host.front() == '[' ? host.find(']') + 1 : host.find(':');
    if (split != std::string_view::npos && split != 0 && split < host.size()) {
        if (host[split] != ':') return false;
        port_text = host.substr(split + 1);
        host = host.substr(0, split);
        has_port = true;
    }
    if (!iequals(host, origin.host)) return false;
    std::uint16_t port = default_port(scheme);
    if (has_port && !parse_port(port_text, port)) return false;
    return port == origin.port;
}

bool origin_from_host(std::string_view scheme, std::string_view host_header, Origin& out) noexcept {
    out = Origin{};
    if (host_header.empty() || host_header.size() > kMaxOriginLength || !valid_scheme(scheme))
        return false;
    for (char c : host_header)
        if (!is_visible_ascii(c)) return false;
    out.scheme = scheme;
    return parse_host_port(host_header, scheme, out) == OriginError::None;
}

}  // namespace cors

// Serialised origins (Fetch Standard / RFC 6454): parsing, validation, comparison.
// No httpd or APR header here: the whole engine is unit-tested on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cors {

// Longest Origin value we parse. A DNS name is at most 253 bytes, so a real
// serialised origin is far shorter; anything longer is refused as overlong.
constexpr std::size_t kMaxOriginLength = 512;

enum class OriginError {
    None,
    Empty,
    TooLong,
    BadScheme,      // missing, empty, or not ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")
    NoAuthority,    // no "://"
    UserInfo,       // "user@host"
    BadHost,        // empty host, empty label, bytes outside [A-Za-z0-9.-_], bad IPv6 literal
    BadPort,        // empty, non-digit, leading zero, 0, or above 65535
    HasPath,        // "/" after the authority (a trailing slash too)
    HasQuery,
    HasFragment,
    BadByte,        // control, space, non-ASCII, '%', ',' ... anywhere
    Several,        // more than one Origin header line
};

// A short English phrase for logs and CORS_REASON, e.g. "path or trailing slash".
const char* describe(OriginError e) noexcept;

// A parsed origin. Views point into the parsed text, which must outlive this.
struct Origin {
    bool opaque = false;          // the literal "null"
    std::string_view scheme;      // as written (may be upper case)
    std::string_view host;        // as written; IPv6 literals keep their brackets
    std::uint16_t port = 0;       // effective port: explicit, else the scheme's default, else 0
    bool explicit_port = false;
};

// Parses `text` as a serialised origin ("scheme://host[:port]" or "null").
// Scheme and host are accepted in any case (compared case-insensitively).
OriginError parse_origin(std::string_view text, Origin& out) noexcept;

// 80 for http/ws, 443 for https/wss (any case), 0 otherwise.
std::uint16_t default_port(std::string_view scheme) noexcept;

// ASCII lower case of one byte.
constexpr char to_lower_ascii(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) noexcept;

// Same scheme, host (case-insensitively) and effective port. Opaque origins are
// never equal to anything, themselves included (Fetch: "null" is not same-origin).
bool same_origin(const Origin& a, const Origin& b) noexcept;

// True when `origin` (valid) is the request's own origin: the connection's `scheme`,
// and the host and port of `host_header` (a missing port being the scheme's default).
// Cheaper than origin_from_host() + same_origin(): the Host is compared, not validated.
bool same_origin_as_host(const Origin& origin, std::string_view scheme, std::string_view host_header) noexcept;

// The request's own origin, from the server's scheme and the Host it was sent to
// ("host", "host:port", "[v6]:port"). Returns false when `host_header` is unusable.
bool origin_from_host(std::string_view scheme, std::string_view host_header, Origin& out) noexcept;

}  // namespace cors

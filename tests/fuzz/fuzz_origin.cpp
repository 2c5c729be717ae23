// libFuzzer target: cors::parse_origin, cors::origin_from_host, cors::same_origin.
//
// The input is used whole as an Origin value and as a Host header. Properties:
//  - a valid (non-opaque) origin is at most kMaxOriginLength bytes, holds no CR, LF,
//    NUL, space, comma, '%', '\', '@', '/', '?', '#', nothing outside visible ASCII,
//    and is exactly scheme "://" host [":" port] with views into the input;
//  - its effective port is the explicit one (1..65535) or the scheme's default;
//  - same_origin is reflexive (but never for "null"), symmetric, and case-insensitive;
//  - validity does not depend on letter case;
//  - origin_from_host(s, h) agrees with parse_origin(s "://" h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "origin.hpp"

using fuzz::show;

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    return out;
}

void check_valid(std::string_view text, const cors::Origin& o) {
    FUZZ_CHECK(text.size() <= cors::kMaxOriginLength, "overlong valid origin (%zu bytes)", text.size());
    FUZZ_CHECK(!fuzz::has_byte(text, std::string_view("\r\n\0 ,", 5)), "forbidden byte in '%s'", show(text));
    if (o.opaque) {
        FUZZ_CHECK(text == "null", "opaque origin from '%s'", show(text));
        FUZZ_CHECK(!cors::same_origin(o, o), "null is same-origin with itself");
        return;
    }
    for (unsigned char c : text)
        FUZZ_CHECK(c > 0x20 && c < 0x7f, "byte 0x%02x in valid origin '%s'", c, show(text));
    FUZZ_CHECK(!fuzz::has_byte(text.substr(text.find("://") + 3), "%\\@/?#"),
               "URL syntax in the authority of '%s'", show(text));
    FUZZ_CHECK(!o.scheme.empty() && !o.host.empty(), "empty scheme or host in '%s'", show(text));
    FUZZ_CHECK(fuzz::within(o.scheme, text) && fuzz::within(o.host, text), "views outside the input");
    FUZZ_CHECK(o.scheme.data() == text.data(), "scheme does not start the origin '%s'", show(text));
    std::string rebuilt = std::string(o.scheme) + "://" + std::string(o.host);
    if (o.explicit_port) {
        FUZZ_CHECK(o.port >= 1, "explicit port 0 in '%s'", show(text));
        rebuilt += ":" + std::to_string(o.port);
    } else {
        FUZZ_CHECK(o.port == cors::default_port(o.scheme), "implicit port %u for '%s'", o.port, show(text));
    }
    FUZZ_CHECK(rebuilt == text, "'%s' does not serialise back (got '%s')", show(text), rebuilt.c_str());

    FUZZ_CHECK(cors::same_origin(o, o), "'%s' not same-origin with itself", show(text));
    std::string up = upper(text);
    cors::Origin u;
    FUZZ_CHECK(cors::parse_origin(up, u) == cors::OriginError::None, "upper case '%s' refused", show(up));
    FUZZ_CHECK(cors::same_origin(o, u) && cors::same_origin(u, o), "case changes the origin '%s'", show(text));
}

void check_host(std::string_view scheme, std::string_view header) {
    cors::Origin own;
    const bool ok = cors::origin_from_host(scheme, header, own);
    if (ok) {
        FUZZ_CHECK(!own.opaque && fuzz::within(own.host, header), "origin_from_host views");
        FUZZ_CHECK(!own.explicit_port || own.port >= 1, "port 0 from Host '%s'", show(header));
    }
    std::string joined = std::string(scheme) + "://" + std::string(header);
    if (joined.size() > cors::kMaxOriginLength) return;
    cors::Origin parsed;
    const bool parsed_ok = cors::parse_origin(joined, parsed) == cors::OriginError::None;
    FUZZ_CHECK(ok == parsed_ok, "Host '%s': origin_from_host %d but parse_origin %d", show(header), ok, parsed_ok);
    if (ok) {
        FUZZ_CHECK(cors::same_origin(own, parsed) && cors::same_origin(parsed, own),
                   "Host '%s' and its origin differ", show(header));
    }
}

// classify()'s fast path agrees with parsing the Host and comparing the two origins.
void check_same_origin_as_host(const cors::Origin& origin, std::string_view scheme, std::string_view header) {
    cors::Origin own;
    const bool expected = cors::origin_from_host(scheme, header, own) && cors::same_origin(origin, own);
    FUZZ_CHECK(cors::same_origin_as_host(origin, scheme, header) == expected,
               "same_origin_as_host disagrees on Host '%s' for a %.*s request", show(header),
               static_cast<int>(scheme.size()), scheme.data());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    cors::Origin o;
    const cors::OriginError e = cors::parse_origin(text, o);
    FUZZ_CHECK(cors::describe(e) != nullptr, "describe");
    if (e == cors::OriginError::None) {
        check_valid(text, o);
    } else {
        FUZZ_CHECK(text != "null", "null refused");
        if (text.size() > cors::kMaxOriginLength)
            FUZZ_CHECK(e == cors::OriginError::TooLong, "overlong input not TooLong");
        // Validity never depends on letter case ("null" aside).
        std::string up = upper(text);
        cors::Origin u;
        if (up != "NULL")
            FUZZ_CHECK(cors::parse_origin(up, u) != cors::OriginError::None, "'%s' valid only in upper case",
                       show(up));
    }

    // same_origin is symmetric over two halves of the input.
    const std::size_t half = size / 2;
    cors::Origin a, b;
    if (cors::parse_origin(text.substr(0, half), a) == cors::OriginError::None &&
        cors::parse_origin(text.substr(half), b) == cors::OriginError::None)
        FUZZ_CHECK(cors::same_origin(a, b) == cors::same_origin(b, a), "same_origin not symmetric");

    check_host("http", text);
    check_host("https", text);

    // "ORIGIN\nHOST": an origin against the Host of a request.
    const std::size_t newline = text.find('\n');
    cors::Origin origin;
    if (newline != std::string_view::npos &&
        cors::parse_origin(text.substr(0, newline), origin) == cors::OriginError::None) {
        check_same_origin_as_host(origin, "http", text.substr(newline + 1));
        check_same_origin_as_host(origin, "https", text.substr(newline + 1));
    }
    return 0;
}

// Serialised origins: parse_origin, describe, default_port, iequals,
// same_origin, origin_from_host (origin.hpp, docs/behaviour.md "Valid origins").
#include <boost/test/unit_test.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/data/monomorphic.hpp>

#include <set>
#include <string>
#include <vector>

#include "origin.hpp"
#include "test_support.hpp"

using cors::Origin;
using cors::OriginError;
using cors::parse_origin;
namespace bdata = boost::unit_test::data;

namespace {

struct BadOrigin {
    std::string text;
    OriginError expected;
};
std::ostream& operator<<(std::ostream& os, const BadOrigin& b) { return os << '"' << b.text << '"'; }

OriginError parse(std::string_view text) {
    Origin o;
    return parse_origin(text, o);
}

// A host of `n` bytes made of 50-byte labels ("aaa...a.aaa...a").
std::string host_of_length(std::size_t n) {
    std::string h;
    while (h.size() < n) {
        if (!h.empty() && (h.size() + 1) % 51 == 0) h += '.';
        else h += 'a';
    }
    return h;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(origin)

BOOST_AUTO_TEST_CASE(parses_https_origin_without_port) {
    Origin o;
    BOOST_TEST(parse_origin("https://partner.example", o) == OriginError::None);
    BOOST_TEST(!o.opaque);
    BOOST_TEST(o.scheme == "https");
    BOOST_TEST(o.host == "partner.example");
    BOOST_TEST(o.port == 443);
    BOOST_TEST(!o.explicit_port);
}

BOOST_AUTO_TEST_CASE(parses_http_origin_with_explicit_port) {
    Origin o;
    BOOST_TEST(parse_origin("http://partner.example:8080", o) == OriginError::None);
    BOOST_TEST(o.scheme == "http");
    BOOST_TEST(o.host == "partner.example");
    BOOST_TEST(o.port == 8080);
    BOOST_TEST(o.explicit_port);
}

BOOST_AUTO_TEST_CASE(explicit_default_port_is_effective_port) {
    Origin o;
    BOOST_TEST(parse_origin("https://partner.example:443", o) == OriginError::None);
    BOOST_TEST(o.port == 443);
    BOOST_TEST(o.explicit_port);
}

BOOST_AUTO_TEST_CASE(keeps_scheme_and_host_case_as_written) {
    Origin o;
    BOOST_TEST(parse_origin("HTTPS://Partner.EXAMPLE", o) == OriginError::None);
    BOOST_TEST(o.scheme == "HTTPS");
    BOOST_TEST(o.host == "Partner.EXAMPLE");
    BOOST_TEST(o.port == 443);
}

BOOST_AUTO_TEST_CASE(parses_null_as_opaque) {
    Origin o;
    BOOST_TEST(parse_origin("null", o) == OriginError::None);
    BOOST_TEST(o.opaque);
}

BOOST_AUTO_TEST_CASE(upper_case_null_is_not_the_opaque_origin) {
    Origin o;
    OriginError e = parse_origin("NULL", o);
    BOOST_TEST((e != OriginError::None || !o.opaque));
    BOOST_TEST(e != OriginError::None);
}

BOOST_AUTO_TEST_CASE(parses_ipv6_literal_keeping_brackets) {
    Origin o;
    BOOST_TEST(parse_origin("https://[::1]:8443", o) == OriginError::None);
    BOOST_TEST(o.host == "[::1]");
    BOOST_TEST(o.port == 8443);
    BOOST_TEST(o.explicit_port);
}

BOOST_AUTO_TEST_CASE(parses_full_ipv6_literal_without_port) {
    Origin o;
    BOOST_TEST(parse_origin("http://[2001:db8::ff00:42:8329]", o) == OriginError::None);
    BOOST_TEST(o.host == "[2001:db8::ff00:42:8329]");
    BOOST_TEST(o.port == 80);
}

BOOST_AUTO_TEST_CASE(parses_ipv4_address) {
    Origin o;
    BOOST_TEST(parse_origin("http://127.0.0.1:8080", o) == OriginError::None);
    BOOST_TEST(o.host == "127.0.0.1");
    BOOST_TEST(o.port == 8080);
}

BOOST_AUTO_TEST_CASE(accepts_underscore_and_hyphen_in_host) {
    BOOST_TEST(parse("https://my_host-1.partner.example") == OriginError::None);
}

BOOST_AUTO_TEST_CASE(accepts_punycode_host) {
    BOOST_TEST(parse("https://xn--bcher-kva.example") == OriginError::None);
}

BOOST_AUTO_TEST_CASE(keeps_a_single_trailing_dot) {
    Origin o;
    BOOST_TEST(parse_origin("https://partner.example.", o) == OriginError::None);
    BOOST_TEST(o.host == "partner.example.");
}

BOOST_AUTO_TEST_CASE(accepts_non_http_scheme_with_no_default_port) {
    Origin o;
    BOOST_TEST(parse_origin("chrome-extension://abcdefghijklmnop", o) == OriginError::None);
    BOOST_TEST(o.scheme == "chrome-extension");
    BOOST_TEST(o.port == 0);
}

BOOST_AUTO_TEST_CASE(accepts_scheme_with_plus_dot_digit) {
    BOOST_TEST(parse("a1+b.c-d://host.example") == OriginError::None);
}

BOOST_AUTO_TEST_CASE(accepts_port_bounds_1_and_65535) {
    Origin o;
    BOOST_TEST(parse_origin("https://a.example:1", o) == OriginError::None);
    BOOST_TEST(o.port == 1);
    BOOST_TEST(parse_origin("https://a.example:65535", o) == OriginError::None);
    BOOST_TEST(o.port == 65535);
}

BOOST_AUTO_TEST_CASE(accepts_origin_of_exactly_512_bytes) {
    // 256-byte scheme + "://" + 253-byte host
    std::string text = std::string(256, 'x') + "://" + host_of_length(253);
    BOOST_REQUIRE(text.size() == cors::kMaxOriginLength);
    BOOST_TEST(parse(text) == OriginError::None);
}

BOOST_AUTO_TEST_CASE(refuses_origin_longer_than_512_bytes_as_too_long) {
    std::string text = "https://" + std::string(600, 'a') + ".example";
    BOOST_TEST(parse(text) == OriginError::TooLong);
    std::string just_over = std::string(257, 'x') + "://" + host_of_length(253);
    BOOST_REQUIRE(just_over.size() == cors::kMaxOriginLength + 1);
    BOOST_TEST(parse(just_over) == OriginError::TooLong);
}

BOOST_AUTO_TEST_CASE(accepts_host_of_253_bytes_refuses_254) {
    BOOST_TEST(parse("https://" + host_of_length(253)) == OriginError::None);
    BOOST_TEST(parse("https://" + host_of_length(254)) == OriginError::BadHost);
}

BOOST_AUTO_TEST_CASE(refuses_empty_text) {
    BOOST_TEST(parse("") == OriginError::Empty);
}

BOOST_AUTO_TEST_CASE(refuses_embedded_nul_byte) {
    std::string text("https://a.example\0.evil", 23);
    BOOST_TEST(parse(text) != OriginError::None);
}

// Every row: a specific error the header comment names for that input.
const std::vector<BadOrigin> kBadOrigins = {
    {"https://partner.example/", OriginError::HasPath},
    {"https://partner.example/index.html", OriginError::HasPath},
    {"https://partner.example:8443/", OriginError::HasPath},
    {"https://partner.example?x=1", OriginError::HasQuery},
    {"https://partner.example:8443?x", OriginError::HasQuery},
    {"https://partner.example#top", OriginError::HasFragment},
    {"https://user@partner.example", OriginError::UserInfo},
    {"https://user:secret@partner.example", OriginError::UserInfo},
    {"https://partner.example:", OriginError::BadPort},
    {"https://partner.example:0", OriginError::BadPort},
    {"https://partner.example:65536", OriginError::BadPort},
    {"https://partner.example:99999999999", OriginError::BadPort},
    {"https://partner.example:08443", OriginError::BadPort},
    {"https://partner.example:84a3", OriginError::BadPort},
    {"https://partner.example:-1", OriginError::BadPort},
    {"https://partner.example:+443", OriginError::BadPort},
    {"https://", OriginError::BadHost},
    {"https://:443", OriginError::BadHost},
    {"https://a..example", OriginError::BadHost},
    {"https://.partner.example", OriginError::BadHost},
    {"https://partner.example..", OriginError::BadHost},
    {"https://[::1", OriginError::BadHost},
    {"https://[]", OriginError::BadHost},
    {"https://[zz::1]", OriginError::BadHost},
    {"https://partner.example%2ecom", OriginError::BadByte},
    {"https://partner .example", OriginError::BadByte},
    {"https://b\xc3\xbc" "cher.example", OriginError::BadByte},
    {"https://partner.example\r", OriginError::BadByte},
    {"https://partner.example\t", OriginError::BadByte},
    {"https://a.example, https://b.example", OriginError::BadByte},
    {"://partner.example", OriginError::BadScheme},
    {"1https://partner.example", OriginError::BadScheme},
    {"-https://partner.example", OriginError::BadScheme},
    {"partner.example", OriginError::NoAuthority},
    {"https:partner.example", OriginError::NoAuthority},
    {"https:/partner.example", OriginError::NoAuthority},
};

BOOST_DATA_TEST_CASE(refuses_malformed_origin_with_its_error, bdata::make(kBadOrigins), bad) {
    Origin o;
    BOOST_TEST(parse_origin(bad.text, o) == bad.expected);
}

BOOST_AUTO_TEST_CASE(describe_path_error_as_behaviour_md_says) {
    BOOST_TEST(std::string(cors::describe(OriginError::HasPath)) == "path or trailing slash");
}

BOOST_AUTO_TEST_CASE(describe_gives_distinct_nonempty_text_for_every_error) {
    const OriginError all[] = {OriginError::Empty,   OriginError::TooLong,     OriginError::BadScheme,
                               OriginError::NoAuthority, OriginError::UserInfo, OriginError::BadHost,
                               OriginError::BadPort, OriginError::HasPath,     OriginError::HasQuery,
                               OriginError::HasFragment, OriginError::BadByte, OriginError::Several};
    std::set<std::string> seen;
    for (OriginError e : all) {
        const char* d = cors::describe(e);
        BOOST_REQUIRE(d != nullptr);
        BOOST_TEST(std::string(d).size() > 0u);
        seen.insert(d);
    }
    BOOST_TEST(seen.size() == std::size(all));
}

BOOST_AUTO_TEST_CASE(default_port_for_http_https_ws_wss_any_case) {
    BOOST_TEST(cors::default_port("http") == 80);
    BOOST_TEST(cors::default_port("HTTP") == 80);
    BOOST_TEST(cors::default_port("https") == 443);
    BOOST_TEST(cors::default_port("HttpS") == 443);
    BOOST_TEST(cors::default_port("ws") == 80);
    BOOST_TEST(cors::default_port("wss") == 443);
}

BOOST_AUTO_TEST_CASE(default_port_is_zero_for_other_schemes) {
    BOOST_TEST(cors::default_port("ftp") == 0);
    BOOST_TEST(cors::default_port("") == 0);
    BOOST_TEST(cors::default_port("httpx") == 0);
    BOOST_TEST(cors::default_port("htt") == 0);
}

BOOST_AUTO_TEST_CASE(iequals_is_ascii_case_insensitive) {
    BOOST_TEST(cors::iequals("Partner.Example", "pARTNER.eXAMPLE"));
    BOOST_TEST(cors::iequals("", ""));
    BOOST_TEST(!cors::iequals("abc", "abd"));
    BOOST_TEST(!cors::iequals("abc", "ab"));
    BOOST_TEST(!cors::iequals("ab", "abc"));
}

BOOST_AUTO_TEST_CASE(iequals_does_not_fold_non_ascii_bytes) {
    BOOST_TEST(!cors::iequals("\xc4", "\xe4"));  // Latin-1 A/a umlaut
    BOOST_TEST(!cors::iequals("@", "`"));        // 0x40 vs 0x60: not letters
    BOOST_TEST(!cors::iequals("[", "{"));
}

BOOST_AUTO_TEST_CASE(same_origin_compares_scheme_and_host_case_insensitively) {
    auto a = test_support::origin_of("HTTPS://Partner.Example");
    auto b = test_support::origin_of("https://partner.example");
    BOOST_TEST(cors::same_origin(a, b));
}

BOOST_AUTO_TEST_CASE(same_origin_treats_default_port_as_no_port) {
    auto a = test_support::origin_of("https://partner.example:443");
    auto b = test_support::origin_of("https://partner.example");
    BOOST_TEST(cors::same_origin(a, b));
    auto c = test_support::origin_of("http://partner.example:80");
    auto d = test_support::origin_of("http://partner.example");
    BOOST_TEST(cors::same_origin(c, d));
}

BOOST_AUTO_TEST_CASE(same_origin_differs_on_scheme_port_or_host) {
    auto base = test_support::origin_of("https://partner.example");
    BOOST_TEST(!cors::same_origin(base, test_support::origin_of("http://partner.example")));
    BOOST_TEST(!cors::same_origin(base, test_support::origin_of("https://partner.example:8443")));
    BOOST_TEST(!cors::same_origin(base, test_support::origin_of("https://www.partner.example")));
    BOOST_TEST(!cors::same_origin(test_support::origin_of("http://partner.example:443"),
                                  test_support::origin_of("https://partner.example")));
}

BOOST_AUTO_TEST_CASE(same_origin_trailing_dot_is_a_different_origin) {
    BOOST_TEST(!cors::same_origin(test_support::origin_of("https://partner.example."),
                                  test_support::origin_of("https://partner.example")));
}

BOOST_AUTO_TEST_CASE(opaque_origin_is_never_same_origin_even_with_itself) {
    auto n1 = test_support::origin_of("null");
    auto n2 = test_support::origin_of("null");
    BOOST_TEST(!cors::same_origin(n1, n2));
    BOOST_TEST(!cors::same_origin(n1, n1));
    BOOST_TEST(!cors::same_origin(n1, test_support::origin_of("https://partner.example")));
}

BOOST_AUTO_TEST_CASE(origin_from_host_without_port_uses_scheme_default) {
    Origin o;
    BOOST_REQUIRE(cors::origin_from_host("https", "api.example", o));
    BOOST_TEST(o.host == "api.example");
    BOOST_TEST(o.port == 443);
    BOOST_TEST(cors::same_origin(o, test_support::origin_of("https://api.example")));
}

BOOST_AUTO_TEST_CASE(origin_from_host_with_port) {
    Origin o;
    BOOST_REQUIRE(cors::origin_from_host("http", "api.example:8080", o));
    BOOST_TEST(o.host == "api.example");
    BOOST_TEST(o.port == 8080);
    BOOST_TEST(cors::same_origin(o, test_support::origin_of("http://api.example:8080")));
    BOOST_TEST(!cors::same_origin(o, test_support::origin_of("http://api.example")));
}

BOOST_AUTO_TEST_CASE(origin_from_host_with_explicit_default_port) {
    Origin o;
    BOOST_REQUIRE(cors::origin_from_host("https", "api.example:443", o));
    BOOST_TEST(cors::same_origin(o, test_support::origin_of("https://api.example")));
}

BOOST_AUTO_TEST_CASE(origin_from_host_with_ipv6_literal) {
    Origin o;
    BOOST_REQUIRE(cors::origin_from_host("http", "[::1]:8080", o));
    BOOST_TEST(o.host == "[::1]");
    BOOST_TEST(o.port == 8080);
    BOOST_TEST(cors::same_origin(o, test_support::origin_of("http://[::1]:8080")));
    Origin p;
    BOOST_REQUIRE(cors::origin_from_host("https", "[::1]", p));
    BOOST_TEST(p.port == 443);
}

BOOST_AUTO_TEST_CASE(origin_from_host_refuses_unusable_host_headers) {
    Origin o;
    BOOST_TEST(!cors::origin_from_host("https", "", o));
    BOOST_TEST(!cors::origin_from_host("https", "api.example:abc", o));
    BOOST_TEST(!cors::origin_from_host("https", "api.example:99999", o));
    BOOST_TEST(!cors::origin_from_host("https", "[::1", o));
    BOOST_TEST(!cors::origin_from_host("https", "api.example/path", o));
    BOOST_TEST(!cors::origin_from_host("https", "user@api.example", o));
}

BOOST_AUTO_TEST_SUITE_END()

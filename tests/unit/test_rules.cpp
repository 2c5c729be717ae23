// CORSAllowOrigin rules, public suffixes, tokens, NameList, CORSMaxAge and
// the #rule list splitter (rules.hpp, contract.md "Directives").
#include <boost/test/unit_test.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/data/monomorphic.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "rules.hpp"
#include "test_support.hpp"

using cors::NameList;
using cors::OriginRules;
using test_support::origin_of;
namespace bdata = boost::unit_test::data;

namespace {

// A rule set made of `specs`, each of which must be accepted.
struct Rules {
    OriginRules rules;
    explicit Rules(std::initializer_list<const char*> specs) : Rules(std::vector<const char*>(specs)) {}
    explicit Rules(const std::vector<const char*>& specs) {
        for (const char* s : specs) {
            std::string err = rules.add(s);
            BOOST_REQUIRE_MESSAGE(err.empty(), "add(\"" << s << "\") failed: " << err);
        }
    }
    bool allows(std::string_view origin) const { return rules.allows(origin_of(origin)); }
};

struct Match {
    std::string name;
    std::vector<const char*> specs;
    std::vector<const char*> allowed, refused;
};
std::ostream& operator<<(std::ostream& os, const Match& m) { return os << m.name; }

// One row: rules, origins they allow, origins they do not.
const std::vector<Match> kMatches = {
    {"exact_rule_matches_same_origin_only", {"https://partner.example"},
     {"https://partner.example"},
     {"https://other.example", "https://www.partner.example", "https://partner.example.evil"}},
    {"exact_rule_differs_on_scheme", {"https://partner.example"},
     {},
     {"http://partner.example", "http://partner.example:443", "wss://partner.example"}},
    {"exact_rule_with_port_matches_that_port_only", {"https://partner.example:8443"},
     {"https://partner.example:8443"},
     {"https://partner.example", "https://partner.example:8444"}},
    {"exact_rule_trailing_dot_is_distinct", {"https://partner.example"},
     {},
     {"https://partner.example."}},
    {"exact_rule_on_ipv6_and_ipv4", {"http://[::1]:8080", "http://127.0.0.1:3000"},
     {"http://[::1]:8080", "http://127.0.0.1:3000"},
     {"http://[::1]", "http://127.0.0.2:3000"}},
    {"subdomain_wildcard_matches_any_depth", {"https://*.example.com"},
     {"https://a.example.com", "https://a.b.example.com", "https://x.y.z.w.example.com", "https://A.Example.COM"},
     {}},
    {"subdomain_wildcard_never_matches_apex", {"https://*.example.com"},
     {},
     {"https://example.com"}},
    {"subdomain_wildcard_needs_a_label_boundary", {"https://*.example.com"},
     {},
     {"https://badexample.com", "https://a.example.com.evil", "https://a.example.co"}},
    {"subdomain_wildcard_uses_default_port_when_none_given", {"https://*.example.com"},
     {"https://a.example.com:443"},
     {"https://a.example.com:8443", "http://a.example.com"}},
    {"subdomain_wildcard_with_port", {"https://*.example.com:8443"},
     {"https://a.example.com:8443", "https://a.b.example.com:8443"},
     {"https://a.example.com", "https://example.com:8443"}},
    {"port_wildcard_matches_any_port_including_default", {"https://partner.example:*"},
     {"https://partner.example", "https://partner.example:443", "https://partner.example:8443", "https://partner.example:1", "https://partner.example:65535"},
     {}},
    {"port_wildcard_keeps_scheme_and_host", {"https://partner.example:*"},
     {},
     {"http://partner.example:8080", "https://other.example:8443", "https://www.partner.example:8443"}},
    {"subdomain_and_port_wildcards_combined", {"http://*.dev.example:*"},
     {"http://app.dev.example:3000", "http://a.b.dev.example"},
     {"http://dev.example:3000", "https://app.dev.example:3000"}},
    {"null_is_matched_by_no_other_rule", {"https://partner.example", "https://*.example.com", "https://x.example:*"},
     {},
     {"null"}},
    {"wildcard_below_public_suffix_is_accepted", {"https://*.example.co.uk", "https://*.myproject.github.io", "https://*.example.com"},
     {"https://www.example.co.uk", "https://pages.myproject.github.io"},
     {"https://other.github.io"}},
    {"wildcard_rule_with_trailing_dot_matches_trailing_dot_only", {"https://*.example.com."},
     {"https://a.example.com."},
     {"https://a.example.com"}},
};

struct Spec {
    std::string text;
};
std::ostream& operator<<(std::ostream& os, const Spec& s) { return os << '"' << s.text << '"'; }

}  // namespace

BOOST_AUTO_TEST_SUITE(origin_rules)

BOOST_DATA_TEST_CASE(matches, bdata::make(kMatches), m) {
    Rules r(m.specs);
    for (const char* origin : m.allowed) BOOST_TEST(r.allows(origin), m.name << " allows " << origin);
    for (const char* origin : m.refused) BOOST_TEST(!r.allows(origin), m.name << " refuses " << origin);
}

BOOST_AUTO_TEST_CASE(exact_rule_compares_scheme_and_host_case_insensitively) {
    Rules r{"https://partner.example"};
    BOOST_TEST(r.allows("HTTPS://PARTNER.EXAMPLE"));
    BOOST_TEST(r.allows("https://Partner.Example"));
    Rules upper{"HTTPS://Partner.EXAMPLE"};
    BOOST_TEST(upper.allows("https://partner.example"));
}

BOOST_AUTO_TEST_CASE(exact_rule_default_port_equals_no_port) {
    Rules r{"https://partner.example"};
    BOOST_TEST(r.allows("https://partner.example:443"));
    Rules with_port{"https://partner.example:443"};
    BOOST_TEST(with_port.allows("https://partner.example"));
    Rules http{"http://partner.example:80"};
    BOOST_TEST(http.allows("http://partner.example"));
}

BOOST_AUTO_TEST_CASE(several_exact_rules_each_match) {
    Rules r{"https://a.example", "https://b.example", "http://c.example:8080"};
    BOOST_TEST(r.allows("https://a.example"));
    BOOST_TEST(r.allows("https://b.example"));
    BOOST_TEST(r.allows("http://c.example:8080"));
    BOOST_TEST(!r.allows("https://c.example"));
    BOOST_TEST(r.rules.size() == 3u);
}

BOOST_AUTO_TEST_CASE(star_matches_every_valid_origin_but_null) {
    Rules r{"*"};
    BOOST_TEST(r.rules.any());
    BOOST_TEST(r.allows("https://anything.example"));
    BOOST_TEST(r.allows("http://127.0.0.1:9"));
    BOOST_TEST(r.allows("chrome-extension://abcdef"));
    BOOST_TEST(!r.allows("null"));
}

BOOST_AUTO_TEST_CASE(null_rule_matches_only_null) {
    Rules r{"null"};
    BOOST_TEST(r.rules.null());
    BOOST_TEST(!r.rules.any());
    BOOST_TEST(r.allows("null"));
    BOOST_TEST(!r.allows("https://partner.example"));
}

BOOST_AUTO_TEST_CASE(empty_rules_allow_nothing) {
    OriginRules r;
    BOOST_TEST(!r.allows(origin_of("https://partner.example")));
    BOOST_TEST(!r.allows(origin_of("null")));
    BOOST_TEST(r.size() == 0u);
    BOOST_TEST(!r.any());
    BOOST_TEST(!r.null());
}

BOOST_AUTO_TEST_CASE(size_counts_every_kind_of_rule) {
    Rules r{"https://a.example", "https://*.b.example", "https://c.example:*", "*", "null"};
    BOOST_TEST(r.rules.size() == 5u);
}

BOOST_AUTO_TEST_CASE(has_insecure_http_set_by_http_origins) {
    Rules secure{"https://a.example", "https://*.b.example"};
    BOOST_TEST(!secure.rules.has_insecure_http());
    Rules exact{"https://a.example", "http://b.example"};
    BOOST_TEST(exact.rules.has_insecure_http());
    Rules wildcard{"http://*.b.example"};
    BOOST_TEST(wildcard.rules.has_insecure_http());
    Rules upper{"HTTP://b.example:8080"};
    BOOST_TEST(upper.rules.has_insecure_http());
}

const std::vector<Spec> kPublicSuffixWildcards = {
    {"https://*.com"}, {"https://*.co.uk"}, {"https://*.github.io"}, {"https://*.uk"},
    {"http://*.org:*"}, {"https://*.COM"}, {"https://*.com."},
};

BOOST_DATA_TEST_CASE(wildcard_on_public_suffix_is_an_error, bdata::make(kPublicSuffixWildcards), spec) {
    OriginRules r;
    std::string err = r.add(spec.text);
    BOOST_TEST(!err.empty());
    BOOST_TEST(r.size() == 0u);
}

BOOST_AUTO_TEST_CASE(public_suffix_error_says_public_suffix) {
    OriginRules r;
    BOOST_TEST(test_support::contains_ci(r.add("https://*.co.uk"), "public suffix"));
}

const std::vector<Spec> kMalformedSpecs = {
    {""},
    {"https://partner.example/"},
    {"https://partner.example/path"},
    {"https://partner.example?query=1"},
    {"https://partner.example#frag"},
    {"https://user@partner.example"},
    {"https://user:pw@partner.example"},
    {"partner.example"},
    {"//partner.example"},
    {"://partner.example"},
    {"https://partner.example:0"},
    {"https://partner.example:65536"},
    {"https://partner.example:port"},
    {"https://partner.example:"},
    {"https://partner.example:0443"},
    {"https://"},
    {"https://a..example"},
    {"https://a.*.example.com"},
    {"https://*example.com"},
    {"https://*.*.example.com"},
    {"https://partner.example:**"},
    {"**"},
    {"https://*"},
    {"https://*.example.com/"},
    {"https://partner.example:*/"},
    {"*://partner.example"},
    {"https://partner.example:*:*"},
    {"https://*.partner.example:8443:*"},
};

BOOST_DATA_TEST_CASE(malformed_origin_spec_is_an_error, bdata::make(kMalformedSpecs), spec) {
    OriginRules r;
    BOOST_TEST(!r.add(spec.text).empty());
    BOOST_TEST(r.size() == 0u);
}

BOOST_AUTO_TEST_CASE(rejected_spec_leaves_existing_rules_intact) {
    Rules r{"https://a.example"};
    BOOST_TEST(!r.rules.add("https://b.example/").empty());
    BOOST_TEST(r.allows("https://a.example"));
    BOOST_TEST(!r.allows("https://b.example"));
    BOOST_TEST(r.rules.size() == 1u);
}

BOOST_AUTO_TEST_CASE(rejected_http_spec_does_not_mark_rules_insecure) {
    Rules r{"https://a.example"};
    BOOST_TEST(!r.rules.add("http://*.com").empty());
    BOOST_TEST(!r.rules.add("http://b.example/").empty());
    BOOST_TEST(!r.rules.has_insecure_http());
}

BOOST_AUTO_TEST_CASE(allows_without_honouring_star_keeps_other_rules) {
    Rules r{"*", "https://a.example", "https://*.b.example", "null"};
    BOOST_TEST(!r.rules.allows(origin_of("https://c.example"), false));
    BOOST_TEST(r.rules.allows(origin_of("https://c.example"), true));
    BOOST_TEST(r.rules.allows(origin_of("https://a.example"), false));
    BOOST_TEST(r.rules.allows(origin_of("https://x.b.example"), false));
    BOOST_TEST(r.rules.allows(origin_of("null"), false));
}

BOOST_AUTO_TEST_CASE(null_spec_with_wildcard_is_an_error) {
    OriginRules r;
    BOOST_TEST(!r.add("null:*").empty());
}

// find_serialised: what browsers send (lower case, no default port) is found byte for
// byte and comes back parsed; any other spelling of a listed origin is left to allows().
BOOST_AUTO_TEST_CASE(find_serialised_returns_the_rule_parsed) {
    Rules r{"HTTPS://App.Partner.Example", "https://b.example:443", "http://c.example:8080", "https://[::1]:8443",
            "https://*.w.example"};
    cors::Origin o;
    BOOST_TEST_REQUIRE(r.rules.find_serialised("https://app.partner.example", o));
    BOOST_TEST(o.scheme == "https");
    BOOST_TEST(o.host == "app.partner.example");
    BOOST_TEST(o.port == 443);
    BOOST_TEST(!o.explicit_port);
    BOOST_TEST(!o.opaque);
    BOOST_TEST_REQUIRE(r.rules.find_serialised("https://b.example", o));
    BOOST_TEST(o.host == "b.example");
    BOOST_TEST_REQUIRE(r.rules.find_serialised("http://c.example:8080", o));
    BOOST_TEST(o.host == "c.example");
    BOOST_TEST(o.port == 8080);
    BOOST_TEST(o.explicit_port);
    BOOST_TEST_REQUIRE(r.rules.find_serialised("https://[::1]:8443", o));
    BOOST_TEST(o.host == "[::1]");
    BOOST_TEST(o.port == 8443);
    for (const char* other : {"HTTPS://app.partner.example", "https://App.partner.example",
                              "https://app.partner.example:443", "https://b.example:443", "http://c.example",
                              "https://app.partner.example/", "https://x.w.example", "https://app.partner.exampl",
                              "", "null"})
        BOOST_TEST(!r.rules.find_serialised(other, o), "find_serialised(\"" << other << "\")");
    for (const char* spelled : {"HTTPS://app.partner.example", "https://APP.partner.example:443",
                                "https://b.example:443", "HTTP://C.EXAMPLE:8080"})
        BOOST_TEST(r.allows(spelled), "allows(\"" << spelled << "\")");
}

BOOST_AUTO_TEST_CASE(exact_origins_stay_found_as_the_table_grows) {
    OriginRules rules;
    std::vector<std::string> origins;
    for (int i = 0; i < 5000; ++i) origins.push_back("https://host" + std::to_string(i) + ".example");
    for (const std::string& o : origins) BOOST_REQUIRE(rules.add(o).empty());
    BOOST_REQUIRE(rules.add(origins[7]).empty());  // listed twice: one rule
    BOOST_TEST(rules.size() == origins.size());
    int missing = 0, wrong = 0;
    cors::Origin found;
    for (const std::string& o : origins) {
        missing += !rules.find_serialised(o, found) || !rules.allows(origin_of(o));
        wrong += rules.find_serialised(o + "x", found) || rules.allows(origin_of(o + "x"));
    }
    BOOST_TEST(missing == 0);
    BOOST_TEST(wrong == 0);
}

BOOST_AUTO_TEST_CASE(lookups_do_not_allocate) {
    Rules r{"https://a.example", "https://*.b.example"};
    const cors::Origin a = origin_of("HTTPS://A.EXAMPLE:443"), b = origin_of("https://x.b.example"),
                       c = origin_of("https://c.example");
    cors::Origin found;
    test_support::AllocationCounter counter;
    bool ok = r.rules.allows(a) && r.rules.allows(b) && !r.rules.allows(c) &&
              r.rules.find_serialised("https://a.example", found) && !r.rules.find_serialised("https://c.example", found);
    const std::size_t n = counter.count();
    BOOST_TEST(ok);
    BOOST_TEST(n == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(public_suffix)

BOOST_AUTO_TEST_CASE(known_public_suffixes) {
    BOOST_TEST(cors::is_public_suffix("com"));
    BOOST_TEST(cors::is_public_suffix("uk"));
    BOOST_TEST(cors::is_public_suffix("co.uk"));
    BOOST_TEST(cors::is_public_suffix("github.io"));
}

BOOST_AUTO_TEST_CASE(registrable_domains_are_not_public_suffixes) {
    BOOST_TEST(!cors::is_public_suffix("example.com"));
    BOOST_TEST(!cors::is_public_suffix("example.co.uk"));
    BOOST_TEST(!cors::is_public_suffix("myproject.github.io"));
    BOOST_TEST(!cors::is_public_suffix("www.example.com"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tokens)

BOOST_AUTO_TEST_CASE(token_accepts_every_tchar) {
    BOOST_TEST(cors::is_token("GET"));
    BOOST_TEST(cors::is_token("X-Custom-Header"));
    BOOST_TEST(cors::is_token("!#$%&'*+-.^_`|~0123456789abcXYZ"));
}

BOOST_AUTO_TEST_CASE(token_refuses_empty_and_separators) {
    BOOST_TEST(!cors::is_token(""));
    for (const char* s : {"a b", "a,b", "a:b", "a;b", "a/b", "a@b", "a=b", "a\"b", "(a)", "[a]", "{a}",
                          "a?b", "a\\b", "a<b>", "a\tb"})
        BOOST_TEST(!cors::is_token(s), "is_token(\"" << s << "\")");
}

BOOST_AUTO_TEST_CASE(token_refuses_control_and_non_ascii_bytes) {
    BOOST_TEST(!cors::is_token("a\x7f"));
    BOOST_TEST(!cors::is_token("a\x01"));
    BOOST_TEST(!cors::is_token("caf\xc3\xa9"));
    BOOST_TEST(!cors::is_token(std::string_view("a\0b", 3)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(name_list)

BOOST_AUTO_TEST_CASE(methods_compare_case_sensitively) {
    NameList m(NameList::Kind::Method);
    BOOST_TEST(m.add("PUT").empty());
    BOOST_TEST(m.add("PATCH").empty());
    BOOST_TEST(m.contains("PUT"));
    BOOST_TEST(m.contains("PATCH"));
    BOOST_TEST(!m.contains("put"));
    BOOST_TEST(!m.contains("Patch"));
    BOOST_TEST(!m.contains("DELETE"));
    BOOST_TEST(!m.any());
    BOOST_TEST((m.kind() == NameList::Kind::Method));
}

BOOST_AUTO_TEST_CASE(headers_compare_case_insensitively) {
    NameList h(NameList::Kind::Header);
    BOOST_TEST(h.add("X-Custom-Header").empty());
    BOOST_TEST(h.contains("x-custom-header"));
    BOOST_TEST(h.contains("X-CUSTOM-HEADER"));
    BOOST_TEST(h.contains("X-Custom-Header"));
    BOOST_TEST(!h.contains("X-Custom-Header2"));
    BOOST_TEST(!h.contains("X-Custom"));
    BOOST_TEST((h.kind() == NameList::Kind::Header));
}

BOOST_AUTO_TEST_CASE(joined_keeps_configured_names_and_case) {
    NameList h(NameList::Kind::Header);
    BOOST_TEST(h.add("X-Total-Count").empty());
    BOOST_TEST(h.add("X-Request-Id").empty());
    BOOST_TEST(h.joined() == "X-Total-Count, X-Request-Id");
    BOOST_REQUIRE(h.names().size() == 2u);
    BOOST_TEST(h.names()[0] == "X-Total-Count");
    BOOST_TEST(h.names()[1] == "X-Request-Id");
}

BOOST_AUTO_TEST_CASE(star_sets_any_and_is_joined_first) {
    NameList h(NameList::Kind::Header);
    BOOST_TEST(h.add("Authorization").empty());
    BOOST_TEST(h.add("*").empty());
    BOOST_TEST(h.any());
    BOOST_TEST(h.joined() == "*, Authorization");
    BOOST_TEST(h.contains("authorization"));
}

BOOST_AUTO_TEST_CASE(star_alone_joins_as_star) {
    NameList m(NameList::Kind::Method);
    BOOST_TEST(m.add("*").empty());
    BOOST_TEST(m.any());
    BOOST_TEST(m.joined() == "*");
}

BOOST_AUTO_TEST_CASE(empty_list_joins_empty) {
    NameList h(NameList::Kind::Header);
    BOOST_TEST(h.joined().empty());
    BOOST_TEST(h.names().empty());
    BOOST_TEST(!h.contains("x"));
}

BOOST_AUTO_TEST_CASE(invalid_method_tokens_are_errors) {
    NameList m(NameList::Kind::Method);
    for (const char* s : {"", "GE T", "GET,PUT", "PU/T", "(GET)", "G\xc3\x89T"})
        BOOST_TEST(!m.add(s).empty(), "add(\"" << s << "\")");
    BOOST_TEST(m.names().empty());
    BOOST_TEST(m.joined().empty());
}

BOOST_AUTO_TEST_CASE(invalid_header_names_are_errors) {
    NameList h(NameList::Kind::Header);
    for (const char* s : {"", "X Custom", "X-Custom:", "X-Custom,X-Other", "X@Y", "\"X\""})
        BOOST_TEST(!h.add(s).empty(), "add(\"" << s << "\")");
    BOOST_TEST(h.names().empty());
    BOOST_TEST(!h.any());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(max_age)

BOOST_AUTO_TEST_CASE(accepts_zero) {
    int s = -5;
    BOOST_TEST(cors::parse_max_age("0", s).empty());
    BOOST_TEST(s == 0);
}

BOOST_AUTO_TEST_CASE(accepts_typical_value) {
    int s = -5;
    BOOST_TEST(cors::parse_max_age("600", s).empty());
    BOOST_TEST(s == 600);
}

BOOST_AUTO_TEST_CASE(accepts_upper_bound_86400) {
    int s = -5;
    BOOST_TEST(cors::parse_max_age("86400", s).empty());
    BOOST_TEST(s == 86400);
}

BOOST_AUTO_TEST_CASE(refuses_86401) {
    int s = 0;
    BOOST_TEST(!cors::parse_max_age("86401", s).empty());
}

BOOST_AUTO_TEST_CASE(refuses_negative) {
    int s = 0;
    BOOST_TEST(!cors::parse_max_age("-1", s).empty());
    BOOST_TEST(!cors::parse_max_age("-600", s).empty());
}

BOOST_AUTO_TEST_CASE(refuses_non_numeric) {
    int s = 0;
    for (const char* t : {"", "abc", "10s", "1e3", "6 00", "0x10", "600.0", " "})
        BOOST_TEST(!cors::parse_max_age(t, s).empty(), "parse_max_age(\"" << t << "\")");
}

BOOST_AUTO_TEST_CASE(refuses_overflowing_number) {
    int s = 0;
    BOOST_TEST(!cors::parse_max_age("4294967896", s).empty());   // 2^32 + 600
    BOOST_TEST(!cors::parse_max_age("99999999999999999999999", s).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(list_elements)

std::vector<std::string> split(std::string_view list) {
    std::vector<std::string> out;
    bool ok = cors::for_each_list_element(list, [&](std::string_view e) {
        out.emplace_back(e);
        return true;
    });
    BOOST_TEST(ok);
    return out;
}

BOOST_AUTO_TEST_CASE(splits_on_commas) {
    std::vector<std::string> want{"x-a", "x-b", "x-c"};
    BOOST_TEST(split("x-a,x-b,x-c") == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(trims_optional_white_space) {
    std::vector<std::string> want{"x-a", "x-b", "x-c"};
    BOOST_TEST(split("  x-a ,\tx-b\t,   x-c   ") == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(keeps_inner_white_space) {
    std::vector<std::string> want{"x a", "b"};
    BOOST_TEST(split("x a, b") == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(skips_empty_elements) {
    std::vector<std::string> want{"x-a", "x-b"};
    BOOST_TEST(split(",x-a,, ,\t,x-b,") == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(empty_and_blank_lists_have_no_element) {
    BOOST_TEST(split("").empty());
    BOOST_TEST(split(" \t ").empty());
    BOOST_TEST(split(",,,").empty());
}

BOOST_AUTO_TEST_CASE(thousands_of_commas_are_linear) {
    std::string list(200000, ',');
    list += "x-last";
    auto start = std::chrono::steady_clock::now();
    auto out = split(list);
    auto elapsed = std::chrono::steady_clock::now() - start;
    BOOST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0] == "x-last");
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() < 500);
}

BOOST_AUTO_TEST_CASE(stops_when_callback_returns_false) {
    int calls = 0;
    bool ok = cors::for_each_list_element("a, b, c", [&](std::string_view e) {
        ++calls;
        return e != "b";
    });
    BOOST_TEST(!ok);
    BOOST_TEST(calls == 2);
}

BOOST_AUTO_TEST_SUITE_END()

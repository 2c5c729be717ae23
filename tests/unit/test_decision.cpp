// classify() and decide() for every row of contract.md and docs/behaviour.md,
// vary_value(), Policy::static_any(), check_policy() (decision.hpp).
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

#include "decision.hpp"
#include "test_support.hpp"

using cors::Action;
using cors::Decision;
using cors::NameList;
using cors::OriginError;
using cors::RequestKind;

namespace cors {
inline std::ostream& operator<<(std::ostream& os, RequestKind k) { return os << to_string(k); }
inline std::ostream& operator<<(std::ostream& os, Action a) {
    switch (a) {
        case Action::Continue: return os << "Continue";
        case Action::AnswerPreflight: return os << "AnswerPreflight";
        case Action::Reject: return os << "Reject";
    }
    return os << "Action(?)";
}
}  // namespace cors

namespace {

constexpr unsigned kVaryPreflight = cors::kVaryOrigin | cors::kVaryRequestMethod | cors::kVaryRequestHeaders;
const char* const kPartner = "https://partner.example";

// The configuration of one scope; the Policy points into it.
struct Scope {
    cors::OriginRules origins;
    cors::PatternList patterns;
    NameList methods{NameList::Kind::Method};
    NameList allow_headers{NameList::Kind::Header};
    NameList expose{NameList::Kind::Header};
    cors::Policy policy;

    Scope& allow_origin(std::initializer_list<const char*> specs) {
        for (const char* s : specs) BOOST_REQUIRE_MESSAGE(origins.add(s).empty(), "CORSAllowOrigin " << s);
        policy.origins = &origins;
        return *this;
    }
    Scope& allow_match(const char* text) {
        BOOST_REQUIRE_MESSAGE(patterns.add(text).empty(), "CORSAllowOriginMatch " << text);
        policy.patterns = &patterns;
        return *this;
    }
    Scope& allow_methods(std::initializer_list<const char*> names) {
        for (const char* n : names) BOOST_REQUIRE(methods.add(n).empty());
        policy.methods = &methods;
        return *this;
    }
    Scope& allow_headers_(std::initializer_list<const char*> names) {
        for (const char* n : names) BOOST_REQUIRE(allow_headers.add(n).empty());
        policy.allow_headers = &allow_headers;
        return *this;
    }
    Scope& expose_headers(std::initializer_list<const char*> names) {
        for (const char* n : names) BOOST_REQUIRE(expose.add(n).empty());
        policy.expose_headers = &expose;
        return *this;
    }
    Scope& credentials() { policy.credentials = true; return *this; }
    Scope& max_age(int s) { policy.max_age = s; return *this; }
    Scope& private_network() { policy.private_network = true; return *this; }
    Scope& pass() { policy.preflight = cors::PreflightMode::Pass; return *this; }
    Scope& reject_off() { policy.reject = false; return *this; }
    Scope& report_only() { policy.report_only = true; return *this; }
};

// A request as the glue would read it; the strings outlive the Request views.
struct Req {
    std::string method = "GET";
    std::optional<std::string> origin;
    int origin_count = -1;  // -1: 1 when there is an Origin
    std::string scheme = "https";
    std::string host = "api.example";
    std::optional<std::string> acrm;
    std::optional<std::string> acrh;
    std::string acrpn;

    cors::Request get() const {
        cors::Request r;
        r.method = method;
        r.has_origin = origin.has_value();
        if (origin) r.origin = *origin;
        r.origin_count = origin_count >= 0 ? origin_count : (origin ? 1 : 0);
        r.scheme = scheme;
        r.host = host;
        r.has_acrm = acrm.has_value();
        if (acrm) r.acrm = *acrm;
        if (acrh) r.acrh = *acrh;
        r.acrpn = acrpn;
        return r;
    }
};

Req no_origin(std::string method = "GET") {
    Req r;
    r.method = std::move(method);
    return r;
}
Req actual(std::string origin, std::string method = "GET") {
    Req r;
    r.method = std::move(method);
    r.origin = std::move(origin);
    return r;
}
Req preflight(std::string origin, std::string method, std::optional<std::string> headers = std::nullopt) {
    Req r;
    r.method = "OPTIONS";
    r.origin = std::move(origin);
    r.acrm = std::move(method);
    r.acrh = std::move(headers);
    return r;
}

void run(const Scope& s, const Req& r, Decision& d) { cors::decide(s.policy, r.get(), d); }

// CORS_REASON as the glue writes it.
std::string reason_text(const Decision& d) {
    std::string s = d.reason ? d.reason : "";
    if (!d.reason_detail.empty()) s += ": " + std::string(d.reason_detail);
    return s;
}

bool no_allow_headers(const Decision& d) {
    return d.allow_origin.empty() && d.allow_credentials.empty() && d.expose_headers.empty() &&
           d.allow_methods.empty() && d.allow_headers.empty() && d.max_age.empty() &&
           d.allow_private_network.empty();
}

RequestKind classify(const Req& r, OriginError* error = nullptr) {
    cors::Origin o;
    OriginError e = OriginError::None;
    RequestKind k = cors::classify(r.get(), o, e);
    if (error) *error = e;
    return k;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(classification)

BOOST_AUTO_TEST_CASE(no_origin_is_none) {
    BOOST_TEST(classify(no_origin()) == RequestKind::None);
    BOOST_TEST(classify(no_origin("OPTIONS")) == RequestKind::None);
}

BOOST_AUTO_TEST_CASE(cross_origin_get_is_actual) {
    OriginError e = OriginError::BadByte;
    BOOST_TEST(classify(actual(kPartner), &e) == RequestKind::Actual);
    BOOST_TEST(e == OriginError::None);
}

BOOST_AUTO_TEST_CASE(options_with_origin_and_acrm_is_preflight) {
    BOOST_TEST(classify(preflight(kPartner, "PUT")) == RequestKind::Preflight);
}

BOOST_AUTO_TEST_CASE(options_with_empty_acrm_is_preflight) {
    BOOST_TEST(classify(preflight(kPartner, "")) == RequestKind::Preflight);
}

BOOST_AUTO_TEST_CASE(options_without_acrm_is_actual) {
    BOOST_TEST(classify(actual(kPartner, "OPTIONS")) == RequestKind::Actual);
}

BOOST_AUTO_TEST_CASE(non_options_with_acrm_is_actual) {
    Req r = preflight(kPartner, "PUT");
    r.method = "POST";
    BOOST_TEST(classify(r) == RequestKind::Actual);
}

BOOST_AUTO_TEST_CASE(same_origin_https_default_port) {
    Req r = actual("https://api.example", "POST");
    BOOST_TEST(classify(r) == RequestKind::SameOrigin);
    Req explicit_port = actual("https://api.example:443", "POST");
    BOOST_TEST(classify(explicit_port) == RequestKind::SameOrigin);
}

BOOST_AUTO_TEST_CASE(same_origin_host_with_default_port) {
    Req r = actual("https://api.example", "POST");
    r.host = "api.example:443";
    BOOST_TEST(classify(r) == RequestKind::SameOrigin);
}

BOOST_AUTO_TEST_CASE(same_origin_http_with_port_in_host) {
    Req r = actual("http://localhost:8080", "POST");
    r.scheme = "http";
    r.host = "localhost:8080";
    BOOST_TEST(classify(r) == RequestKind::SameOrigin);
}

BOOST_AUTO_TEST_CASE(same_origin_is_case_insensitive_on_host) {
    Req r = actual("https://API.Example", "POST");
    r.host = "api.EXAMPLE";
    BOOST_TEST(classify(r) == RequestKind::SameOrigin);
}

BOOST_AUTO_TEST_CASE(same_origin_ipv6_host) {
    Req r = actual("http://[::1]:8080", "POST");
    r.scheme = "http";
    r.host = "[::1]:8080";
    BOOST_TEST(classify(r) == RequestKind::SameOrigin);
}

BOOST_AUTO_TEST_CASE(port_differs_from_host_port_is_actual) {
    Req r = actual("http://localhost", "POST");
    r.scheme = "http";
    r.host = "localhost:8080";
    BOOST_TEST(classify(r) == RequestKind::Actual);
    Req s = actual("https://api.example:8443");
    BOOST_TEST(classify(s) == RequestKind::Actual);
}

BOOST_AUTO_TEST_CASE(scheme_differs_from_connection_is_actual) {
    Req r = actual("http://api.example");
    BOOST_TEST(classify(r) == RequestKind::Actual);
}

BOOST_AUTO_TEST_CASE(same_origin_options_with_acrm_is_not_a_preflight) {
    Req r = preflight("https://api.example", "PUT", "x-custom-header");
    BOOST_TEST(classify(r) == RequestKind::SameOrigin);
}

BOOST_AUTO_TEST_CASE(unusable_host_leaves_request_cross_origin) {
    Req r = actual("https://api.example");
    r.host = "";
    BOOST_TEST(classify(r) == RequestKind::Actual);
}

BOOST_AUTO_TEST_CASE(invalid_origin_keeps_actual_class_and_reports_error) {
    OriginError e = OriginError::None;
    BOOST_TEST(classify(actual("https://partner.example/"), &e) == RequestKind::Actual);
    BOOST_TEST(e == OriginError::HasPath);
}

BOOST_AUTO_TEST_CASE(invalid_origin_keeps_preflight_class) {
    OriginError e = OriginError::None;
    BOOST_TEST(classify(preflight("https://user@partner.example", "PUT"), &e) == RequestKind::Preflight);
    BOOST_TEST(e == OriginError::UserInfo);
}

BOOST_AUTO_TEST_CASE(several_origin_lines_are_invalid) {
    Req r = actual("https://partner.example, https://other.example");
    r.origin_count = 2;
    OriginError e = OriginError::None;
    BOOST_TEST(classify(r, &e) == RequestKind::Actual);
    BOOST_TEST(e == OriginError::Several);
}

BOOST_AUTO_TEST_CASE(several_identical_origin_lines_are_invalid) {
    Req r = actual(kPartner);
    r.origin_count = 2;  // glue saw two lines even if the value looks valid
    OriginError e = OriginError::None;
    classify(r, &e);
    BOOST_TEST(e == OriginError::Several);
}

BOOST_AUTO_TEST_CASE(invalid_origin_equal_to_own_host_is_not_same_origin) {
    Req r = actual("https://api.example/", "POST");
    OriginError e = OriginError::None;
    BOOST_TEST(classify(r, &e) == RequestKind::Actual);
    BOOST_TEST(e == OriginError::HasPath);
}

BOOST_AUTO_TEST_CASE(empty_origin_header_is_present_but_invalid) {
    OriginError e = OriginError::None;
    BOOST_TEST(classify(actual(""), &e) == RequestKind::Actual);
    BOOST_TEST(e == OriginError::Empty);
}

BOOST_AUTO_TEST_CASE(null_origin_is_cross_origin) {
    OriginError e = OriginError::BadByte;
    BOOST_TEST(classify(actual("null", "POST"), &e) == RequestKind::Actual);
    BOOST_TEST(e == OriginError::None);
}

BOOST_AUTO_TEST_CASE(request_kind_names_match_cors_request_values) {
    BOOST_TEST(std::string(cors::to_string(RequestKind::None)) == "none");
    BOOST_TEST(std::string(cors::to_string(RequestKind::SameOrigin)) == "same-origin");
    BOOST_TEST(std::string(cors::to_string(RequestKind::Actual)) == "actual");
    BOOST_TEST(std::string(cors::to_string(RequestKind::Preflight)) == "preflight");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(decide_none_and_same_origin)

BOOST_AUTO_TEST_CASE(no_origin_continues_with_vary_origin_only) {
    Scope s;
    s.allow_origin({kPartner}).credentials().expose_headers({"X-Total"});
    Req r = no_origin();
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::None);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.action == Action::Continue);
    BOOST_TEST(d.vary == cors::kVaryOrigin);
    BOOST_TEST(no_allow_headers(d));
    BOOST_TEST(std::string(d.reason).empty());
}

BOOST_AUTO_TEST_CASE(no_origin_under_static_any_gets_star_without_vary) {
    Scope s;
    s.allow_origin({"*"}).expose_headers({"X-Total", "X-Page"});
    Req r = no_origin();
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.action == Action::Continue);
    BOOST_TEST(d.allow_origin == "*");
    BOOST_TEST(d.expose_headers == "X-Total, X-Page");
    BOOST_TEST(d.allow_credentials.empty());
    BOOST_TEST(d.vary == 0u);
}

BOOST_AUTO_TEST_CASE(no_origin_under_star_with_credentials_gets_vary_and_no_star) {
    Scope s;
    s.allow_origin({"*"}).credentials();
    Req r = no_origin();
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allow_origin.empty());
    BOOST_TEST(d.vary == cors::kVaryOrigin);
}

BOOST_AUTO_TEST_CASE(same_origin_is_never_rejected) {
    Scope s;  // nothing allowed at all
    Req r = actual("https://api.example", "POST");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::SameOrigin);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.action == Action::Continue);
    BOOST_TEST(d.vary == cors::kVaryOrigin);
    BOOST_TEST(no_allow_headers(d));
}

BOOST_AUTO_TEST_CASE(same_origin_gets_no_cors_headers_even_when_allowed) {
    Scope s;
    s.allow_origin({"https://api.example"}).credentials();
    Req r = actual("https://api.example", "POST");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::SameOrigin);
    BOOST_TEST(no_allow_headers(d));
    BOOST_TEST(d.vary == cors::kVaryOrigin);
}

BOOST_AUTO_TEST_CASE(same_origin_options_preflight_is_not_answered) {
    Scope s;
    Req r = preflight("https://api.example", "DELETE", "x-custom-header");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::SameOrigin);
    BOOST_TEST(d.action == Action::Continue);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_methods.empty());
}

BOOST_AUTO_TEST_CASE(same_origin_under_static_any_gets_star_without_vary) {
    Scope s;
    s.allow_origin({"*"});
    Req r = actual("https://api.example", "POST");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::SameOrigin);
    BOOST_TEST(d.allow_origin == "*");
    BOOST_TEST(d.vary == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(decide_actual)

BOOST_AUTO_TEST_CASE(allowed_origin_is_echoed_with_vary_origin) {
    Scope s;
    s.allow_origin({kPartner});
    Req r = actual(kPartner);
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::Actual);
    BOOST_TEST(d.origin_valid);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.action == Action::Continue);
    BOOST_TEST(d.allow_origin == kPartner);
    BOOST_TEST(d.allow_credentials.empty());
    BOOST_TEST(d.expose_headers.empty());
    BOOST_TEST(d.vary == cors::kVaryOrigin);
    BOOST_TEST(std::string(d.reason).empty());
    BOOST_TEST(d.reason_detail.empty());
}

BOOST_AUTO_TEST_CASE(allowed_origin_is_echoed_byte_for_byte) {
    Scope s;
    s.allow_origin({kPartner});
    Req r = actual("HTTPS://Partner.Example:443");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_origin == "HTTPS://Partner.Example:443");
}

BOOST_AUTO_TEST_CASE(credentials_add_allow_credentials_true) {
    Scope s;
    s.allow_origin({kPartner}).credentials();
    Req r = actual(kPartner, "POST");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allow_origin == kPartner);
    BOOST_TEST(d.allow_credentials == "true");
}

BOOST_AUTO_TEST_CASE(expose_headers_joined_as_configured) {
    Scope s;
    s.allow_origin({kPartner}).expose_headers({"X-Total-Count", "X-Request-Id"});
    Req r = actual(kPartner);
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.expose_headers == "X-Total-Count, X-Request-Id");
}

BOOST_AUTO_TEST_CASE(expose_headers_star_is_sent_as_star) {
    Scope s;
    s.allow_origin({kPartner}).expose_headers({"*"});
    Req r = actual(kPartner);
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.expose_headers == "*");
}

BOOST_AUTO_TEST_CASE(preflight_only_headers_never_on_actual_requests) {
    Scope s;
    s.allow_origin({kPartner}).allow_methods({"PUT"}).allow_headers_({"X-Custom"}).max_age(600).private_network();
    Req r = actual(kPartner, "PUT");
    r.acrpn = "true";
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_methods.empty());
    BOOST_TEST(d.allow_headers.empty());
    BOOST_TEST(d.max_age.empty());
    BOOST_TEST(d.allow_private_network.empty());
}

BOOST_AUTO_TEST_CASE(method_is_not_checked_on_actual_requests) {
    Scope s;
    s.allow_origin({kPartner});  // default methods GET HEAD POST
    Req r = actual(kPartner, "DELETE");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.action == Action::Continue);
    BOOST_TEST(d.allow_origin == kPartner);
}

BOOST_AUTO_TEST_CASE(options_without_acrm_is_an_allowed_actual_request) {
    Scope s;
    s.allow_origin({kPartner});
    Req r = actual(kPartner, "OPTIONS");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::Actual);
    BOOST_TEST(d.action == Action::Continue);
    BOOST_TEST(d.allow_origin == kPartner);
    BOOST_TEST(d.allow_methods.empty());
}

BOOST_AUTO_TEST_CASE(unlisted_origin_is_rejected_with_vary_origin_only) {
    Scope s;
    s.allow_origin({kPartner}).credentials().expose_headers({"X-Total"});
    Req r = actual("https://evil.example");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::Actual);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(reason_text(d) == "origin not allowed");
    BOOST_TEST(d.vary == cors::kVaryOrigin);
    BOOST_TEST(no_allow_headers(d));
}

BOOST_AUTO_TEST_CASE(reject_off_continues_without_cors_headers) {
    Scope s;
    s.allow_origin({kPartner}).reject_off().expose_headers({"X-Total"});
    Req r = actual("https://evil.example");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Continue);
    BOOST_TEST(reason_text(d) == "origin not allowed");
    BOOST_TEST(d.vary == cors::kVaryOrigin);
    BOOST_TEST(no_allow_headers(d));
}

BOOST_AUTO_TEST_CASE(no_origin_rules_at_all_rejects_cross_origin) {
    Scope s;
    Req r = actual(kPartner);
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
}

BOOST_AUTO_TEST_CASE(subdomain_wildcard_allows_deep_subdomain_not_apex) {
    Scope s;
    s.allow_origin({"https://*.partner.example"});
    Req deep = actual("https://a.b.partner.example");
    Decision d1;
    run(s, deep, d1);
    BOOST_TEST(d1.allowed);
    BOOST_TEST(d1.allow_origin == "https://a.b.partner.example");
    Req apex = actual(kPartner);
    Decision d2;
    run(s, apex, d2);
    BOOST_TEST(!d2.allowed);
}

BOOST_AUTO_TEST_CASE(pattern_alone_allows_origin) {
    Scope s;
    s.allow_match("#^https://(www|api)\\.partner\\.example$#");
    Req r = actual("https://api.partner.example");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_origin == "https://api.partner.example");
    Req other = actual("https://web.partner.example");
    Decision d2;
    run(s, other, d2);
    BOOST_TEST(!d2.allowed);
    BOOST_TEST(reason_text(d2) == "origin not allowed");
}

BOOST_AUTO_TEST_CASE(pattern_is_tested_against_origin_as_received) {
    Scope s;
    s.allow_match("/^https:\\/\\/partner\\.example$/");
    Req r = actual("HTTPS://PARTNER.EXAMPLE");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    Req with_port = actual("https://partner.example:443");
    Decision d2;
    run(s, with_port, d2);
    BOOST_TEST(!d2.allowed);
}

BOOST_AUTO_TEST_CASE(rules_and_patterns_are_a_union) {
    Scope s;
    s.allow_origin({"https://a.example"}).allow_match("@^https://b\\.example$@");
    for (const char* o : {"https://a.example", "https://b.example"}) {
        Req r = actual(o);
        Decision d;
        run(s, r, d);
        BOOST_TEST(d.allowed, o);
    }
    Req c = actual("https://c.example");
    Decision d;
    run(s, c, d);
    BOOST_TEST(!d.allowed);
}

BOOST_AUTO_TEST_CASE(match_limit_counts_as_no_match_with_its_reason) {
    Scope s;
    s.allow_match("#^https://(a|aa)+\\.example$#");
    Req r = actual("https://" + std::string(60, 'a') + "b.example");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(reason_text(d) == "pattern match limit exceeded");
}

BOOST_AUTO_TEST_CASE(static_any_answers_star_without_vary) {
    Scope s;
    s.allow_origin({"*"}).expose_headers({"X-Total"});
    Req r = actual("https://anyone.example");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_origin == "*");
    BOOST_TEST(d.allow_credentials.empty());
    BOOST_TEST(d.expose_headers == "X-Total");
    BOOST_TEST(d.vary == 0u);
}

BOOST_AUTO_TEST_CASE(star_with_credentials_from_merging_matches_nothing) {
    Scope s;
    s.allow_origin({"*"}).credentials();
    Req r = actual(kPartner);
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(reason_text(d) == "CORSAllowOrigin * is not allowed with credentials");
    BOOST_TEST(d.allow_origin.empty());
    BOOST_TEST(d.vary == cors::kVaryOrigin);
}

BOOST_AUTO_TEST_CASE(star_with_credentials_keeps_other_rules) {
    Scope s;
    s.allow_origin({"*", kPartner}).credentials();
    Req r = actual(kPartner);
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_origin == kPartner);
    BOOST_TEST(d.allow_credentials == "true");
}

BOOST_AUTO_TEST_CASE(star_plus_exact_rule_without_credentials_is_static_star) {
    Scope s;
    s.allow_origin({"*", kPartner});
    Req r = actual(kPartner);
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allow_origin == "*");
    BOOST_TEST(d.vary == 0u);
}

BOOST_AUTO_TEST_CASE(null_origin_refused_without_null_rule) {
    Scope s;
    s.allow_origin({kPartner, "https://*.partner.example"});
    Req r = actual("null", "POST");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.origin_valid);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(reason_text(d) == "origin not allowed");
}

BOOST_AUTO_TEST_CASE(null_origin_allowed_by_null_rule_is_echoed) {
    Scope s;
    s.allow_origin({"null"});
    Req r = actual("null", "POST");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_origin == "null");
    BOOST_TEST(d.vary == cors::kVaryOrigin);
}

BOOST_AUTO_TEST_CASE(null_origin_refused_under_static_any_with_vary) {
    Scope s;
    s.allow_origin({"*"});
    Req r = actual("null", "POST");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(d.allow_origin.empty());
    BOOST_TEST(d.vary == cors::kVaryOrigin);
}

BOOST_AUTO_TEST_CASE(null_origin_is_never_tested_against_patterns) {
    Scope s;
    s.allow_match("/^null$/").allow_match("/.*/");
    Req r = actual("null", "POST");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
}

BOOST_AUTO_TEST_CASE(invalid_origin_refused_whatever_the_rules_say) {
    Scope s;
    s.allow_origin({"*"});
    Req r = actual("https://partner.example/");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.origin_valid);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(reason_text(d) == "invalid origin: path or trailing slash");
    BOOST_TEST(d.allow_origin.empty());
    BOOST_TEST(d.vary == cors::kVaryOrigin);
}

BOOST_AUTO_TEST_CASE(invalid_origin_is_never_tested_against_patterns) {
    Scope s;
    s.allow_match("/.*/");
    Req r = actual("https://user@partner.example");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(reason_text(d).rfind("invalid origin", 0) == 0u);
    BOOST_TEST(test_support::contains_ci(reason_text(d), cors::describe(OriginError::UserInfo)));
}

BOOST_AUTO_TEST_CASE(several_origin_lines_are_refused_as_invalid) {
    Scope s;
    s.allow_origin({kPartner, "https://other.example"});
    Req r = actual("https://partner.example, https://other.example");
    r.origin_count = 2;
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(!d.origin_valid);
    BOOST_TEST(reason_text(d) == std::string("invalid origin: ") + cors::describe(OriginError::Several));
}

BOOST_AUTO_TEST_CASE(overlong_origin_is_refused_as_invalid) {
    Scope s;
    s.allow_origin({"*"});
    Req r = actual("https://" + std::string(600, 'a') + ".example");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(!d.origin_valid);
    BOOST_TEST(reason_text(d) == std::string("invalid origin: ") + cors::describe(OriginError::TooLong));
}

BOOST_AUTO_TEST_CASE(invalid_origin_with_reject_off_continues_without_headers) {
    Scope s;
    s.allow_origin({kPartner}).reject_off();
    Req r = actual("https://partner.example?x");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Continue);
    BOOST_TEST(no_allow_headers(d));
    BOOST_TEST(d.vary == cors::kVaryOrigin);
}

BOOST_AUTO_TEST_CASE(decision_object_is_reset_between_requests) {
    Scope s;
    s.allow_origin({kPartner}).credentials();
    Decision d;
    Req bad = preflight(kPartner, "PUT");
    run(s, bad, d);
    BOOST_REQUIRE(!d.allowed);
    Req good = actual(kPartner);
    run(s, good, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.kind == RequestKind::Actual);
    BOOST_TEST(d.action == Action::Continue);
    BOOST_TEST(std::string(d.reason).empty());
    BOOST_TEST(d.reason_detail.empty());
    BOOST_TEST(d.allow_methods.empty());
    BOOST_TEST(d.vary == cors::kVaryOrigin);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(decide_preflight)

BOOST_AUTO_TEST_CASE(allowed_preflight_is_answered_with_every_header) {
    Scope s;
    s.allow_origin({kPartner}).allow_methods({"PUT", "DELETE"}).allow_headers_({"X-Custom-Header"})
        .credentials().expose_headers({"X-Total"}).max_age(600);
    Req r = preflight(kPartner, "PUT", "x-custom-header");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::Preflight);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.action == Action::AnswerPreflight);
    BOOST_TEST(d.allow_origin == kPartner);
    BOOST_TEST(d.allow_credentials == "true");
    BOOST_TEST(d.expose_headers == "X-Total");
    BOOST_TEST(d.allow_methods == "PUT");
    BOOST_TEST(d.allow_headers == "x-custom-header");
    BOOST_TEST(d.max_age == "600");
    BOOST_TEST(d.allow_private_network.empty());
    BOOST_TEST(d.vary == kVaryPreflight);
}

BOOST_AUTO_TEST_CASE(allow_methods_is_the_requested_method_only) {
    Scope s;
    s.allow_origin({kPartner}).allow_methods({"PUT", "DELETE", "PATCH"});
    Req r = preflight(kPartner, "DELETE");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allow_methods == "DELETE");
}

BOOST_AUTO_TEST_CASE(safelisted_methods_always_allowed) {
    Scope s;
    s.allow_origin({kPartner}).allow_methods({"PUT"});
    for (const char* m : {"GET", "HEAD", "POST"}) {
        Req r = preflight(kPartner, m);
        Decision d;
        run(s, r, d);
        BOOST_TEST(d.allowed, m);
        BOOST_TEST(d.action == Action::AnswerPreflight);
        BOOST_TEST(d.allow_methods == m);
    }
}

BOOST_AUTO_TEST_CASE(default_methods_refuse_put) {
    Scope s;
    s.allow_origin({kPartner});
    Req r = preflight(kPartner, "PUT");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(reason_text(d) == "method not allowed: PUT");
    BOOST_TEST(d.reason_detail == "PUT");
}

BOOST_AUTO_TEST_CASE(methods_are_case_sensitive) {
    Scope s;
    s.allow_origin({kPartner}).allow_methods({"PUT"});
    Req r = preflight(kPartner, "put");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(reason_text(d) == "method not allowed: put");
}

BOOST_AUTO_TEST_CASE(lower_case_get_is_not_safelisted) {
    Scope s;
    s.allow_origin({kPartner});
    Req r = preflight(kPartner, "get");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(reason_text(d) == "method not allowed: get");
}

BOOST_AUTO_TEST_CASE(star_methods_allow_any_method) {
    Scope s;
    s.allow_origin({kPartner}).allow_methods({"*"});
    for (const char* m : {"PATCH", "PROPFIND", "purge"}) {
        Req r = preflight(kPartner, m);
        Decision d;
        run(s, r, d);
        BOOST_TEST(d.allowed, m);
        BOOST_TEST(d.allow_methods == m);
    }
}

BOOST_AUTO_TEST_CASE(empty_acrm_fails_the_preflight) {
    Scope s;
    s.allow_origin({kPartner}).allow_methods({"*"});
    Req r = preflight(kPartner, "");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::Preflight);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(!reason_text(d).empty());
    BOOST_TEST(d.allow_methods.empty());
}

BOOST_AUTO_TEST_CASE(acrm_that_is_not_a_token_fails_the_preflight) {
    Scope s;
    s.allow_origin({kPartner}).allow_methods({"*"});
    for (const char* m : {"PU T", "GET,PUT", "P\xc3\x9cT"}) {
        Req r = preflight(kPartner, m);
        Decision d;
        run(s, r, d);
        BOOST_TEST(!d.allowed, m);
        BOOST_TEST(d.action == Action::Reject);
        BOOST_TEST(d.allow_methods.empty());
    }
}

BOOST_AUTO_TEST_CASE(headers_compare_case_insensitively_and_echo_lower_case) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"x-custom-header"});
    Req r = preflight(kPartner, "POST", "X-Custom-Header");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_headers == "x-custom-header");
}

BOOST_AUTO_TEST_CASE(several_headers_echoed_joined_by_comma_space) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"Content-Type", "X-Request-Id", "X-Page"});
    Req r = preflight(kPartner, "POST", "content-type,x-request-id");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_headers == "content-type, x-request-id");
}

BOOST_AUTO_TEST_CASE(header_list_white_space_and_empty_elements_skipped) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"X-A", "X-B"});
    Req r = preflight(kPartner, "POST", " ,X-A ,, \t x-b\t,");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_headers == "x-a, x-b");
}

BOOST_AUTO_TEST_CASE(empty_header_list_sends_no_allow_headers) {
    Scope s;
    s.allow_origin({kPartner});
    for (const char* h : {"", " , ,"}) {
        Req r = preflight(kPartner, "GET", std::string(h));
        Decision d;
        run(s, r, d);
        BOOST_TEST(d.allowed);
        BOOST_TEST(d.allow_headers.empty());
    }
    Req none = preflight(kPartner, "GET");
    Decision d;
    run(s, none, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_headers.empty());
}

BOOST_AUTO_TEST_CASE(unlisted_header_fails_with_its_name) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"Content-Type"});
    Req r = preflight(kPartner, "POST", "content-type, x-custom-header");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(reason_text(d) == "header not allowed: x-custom-header");
    BOOST_TEST(no_allow_headers(d));
}

BOOST_AUTO_TEST_CASE(no_allow_headers_configured_refuses_every_header) {
    Scope s;
    s.allow_origin({kPartner});
    Req r = preflight(kPartner, "POST", "content-type");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(reason_text(d) == "header not allowed: content-type");
}

BOOST_AUTO_TEST_CASE(star_headers_allow_any_header) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"*"});
    Req r = preflight(kPartner, "POST", "X-Anything, content-type");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_headers == "x-anything, content-type");
}

BOOST_AUTO_TEST_CASE(star_headers_do_not_cover_authorization) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"*"});
    Req r = preflight(kPartner, "GET", "x-custom, authorization");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(reason_text(d) == "header not allowed: authorization");
}

BOOST_AUTO_TEST_CASE(requested_header_named_star_is_never_echoed) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"*"}).credentials();
    Req r = preflight(kPartner, "GET", "x-custom, *");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.allow_headers.empty());
    BOOST_TEST(reason_text(d) == "header not allowed: *");
}

BOOST_AUTO_TEST_CASE(requested_method_named_star_is_never_echoed) {
    Scope s;
    s.allow_origin({kPartner}).allow_methods({"*"}).credentials();
    Req r = preflight(kPartner, "*");  // the decision's views point into it
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.allow_methods.empty());
    BOOST_TEST(reason_text(d) == "method not allowed: *");
}

BOOST_AUTO_TEST_CASE(star_plus_authorization_allows_authorization) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"*", "Authorization"});
    Req r = preflight(kPartner, "GET", "Authorization, x-custom");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_headers == "authorization, x-custom");
}

BOOST_AUTO_TEST_CASE(authorization_listed_explicitly_is_allowed) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"Authorization"});
    Req r = preflight(kPartner, "GET", "authorization");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_headers == "authorization");
}

BOOST_AUTO_TEST_CASE(star_headers_with_credentials_never_echo_bare_star) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"*"}).credentials();
    Req r = preflight(kPartner, "POST", "x-custom-header");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_headers == "x-custom-header");
    BOOST_TEST(d.allow_credentials == "true");
}

BOOST_AUTO_TEST_CASE(star_header_requested_literally_is_not_a_wildcard) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"X-Custom"});
    Req r = preflight(kPartner, "POST", "*");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
}

BOOST_AUTO_TEST_CASE(header_element_that_is_not_a_token_fails) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"*"});
    for (const char* h : {"x-ok, bad header", "x:y", "x-\xc3\xa9"}) {
        Req r = preflight(kPartner, "POST", h);
        Decision d;
        run(s, r, d);
        BOOST_TEST(!d.allowed, h);
        BOOST_TEST(d.action == Action::Reject);
        BOOST_TEST(d.allow_headers.empty());
    }
}

BOOST_AUTO_TEST_CASE(echoed_header_list_of_2048_bytes_is_allowed) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"*"});
    std::string name(cors::kMaxAllowHeadersLength, 'x');
    Req r = preflight(kPartner, "POST", name);
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_headers == name);
}

BOOST_AUTO_TEST_CASE(echoed_header_list_of_2048_bytes_from_many_names_is_allowed) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"*"});
    // 8-byte names joined by ", ", then one name that makes exactly 2048 bytes
    std::string list, want;
    std::size_t i = 0;
    while (want.size() + 2 + 8 <= cors::kMaxAllowHeadersLength - 10) {
        std::string n = "x-" + std::to_string(100000 + i++);
        if (!want.empty()) { want += ", "; list += ","; }
        want += n;
        list += n;
    }
    std::string last(cors::kMaxAllowHeadersLength - want.size() - 2, 'y');
    want += ", " + last;
    list += "," + last;
    BOOST_REQUIRE(want.size() == cors::kMaxAllowHeadersLength);
    Req r = preflight(kPartner, "POST", list);
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_headers == want);
}

BOOST_AUTO_TEST_CASE(echoed_header_list_over_2048_bytes_fails) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"*"});
    Req r = preflight(kPartner, "POST", std::string(cors::kMaxAllowHeadersLength + 1, 'x'));
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(!reason_text(d).empty());
    BOOST_TEST(d.allow_headers.empty());
}

BOOST_AUTO_TEST_CASE(many_short_headers_over_the_bound_fail) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"*"});
    std::string list;
    for (int i = 0; i < 1000; ++i) list += "x-h" + std::to_string(i) + ",";
    Req r = preflight(kPartner, "POST", list);
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
}

BOOST_AUTO_TEST_CASE(thousands_of_commas_in_acrh_are_skipped) {
    Scope s;
    s.allow_origin({kPartner}).allow_headers_({"X-A"});
    Req r = preflight(kPartner, "POST", std::string(100000, ',') + "x-a" + std::string(100000, ','));
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_headers == "x-a");
}

BOOST_AUTO_TEST_CASE(origin_is_checked_before_method_and_headers) {
    Scope s;
    s.allow_origin({kPartner});
    Req r = preflight("https://evil.example", "PUT", "x-custom-header");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(reason_text(d) == "origin not allowed");
}

BOOST_AUTO_TEST_CASE(method_is_checked_before_headers) {
    Scope s;
    s.allow_origin({kPartner});
    Req r = preflight(kPartner, "PUT", "x-custom-header");
    Decision d;
    run(s, r, d);
    BOOST_TEST(reason_text(d) == "method not allowed: PUT");
}

BOOST_AUTO_TEST_CASE(failed_preflight_by_origin_is_403_with_preflight_vary) {
    Scope s;
    s.allow_origin({kPartner}).credentials().expose_headers({"X-Total"}).max_age(600).private_network();
    Req r = preflight("https://evil.example", "GET");
    r.acrpn = "true";
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::Preflight);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(no_allow_headers(d));
    BOOST_TEST(d.vary == kVaryPreflight);
}

BOOST_AUTO_TEST_CASE(failed_preflight_by_method_has_no_allow_headers) {
    Scope s;
    s.allow_origin({kPartner}).credentials().max_age(600);
    Req r = preflight(kPartner, "DELETE");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(no_allow_headers(d));
    BOOST_TEST(d.vary == kVaryPreflight);
}

BOOST_AUTO_TEST_CASE(failed_preflight_is_rejected_even_with_reject_off) {
    Scope s;
    s.allow_origin({kPartner}).reject_off();
    Req bad_origin = preflight("https://evil.example", "GET");
    Decision d1;
    run(s, bad_origin, d1);
    BOOST_TEST(d1.action == Action::Reject);
    Req bad_method = preflight(kPartner, "PUT");
    Decision d2;
    run(s, bad_method, d2);
    BOOST_TEST(d2.action == Action::Reject);
}

BOOST_AUTO_TEST_CASE(failed_preflight_is_rejected_even_in_pass_mode) {
    Scope s;
    s.allow_origin({kPartner}).pass();
    Req r = preflight(kPartner, "GET", "x-not-allowed");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(no_allow_headers(d));
}

BOOST_AUTO_TEST_CASE(pass_mode_lets_allowed_preflight_continue_with_headers) {
    Scope s;
    s.allow_origin({kPartner}).allow_methods({"PUT"}).allow_headers_({"X-Custom"}).max_age(60).pass();
    Req r = preflight(kPartner, "PUT", "x-custom");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::Preflight);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.action == Action::Continue);
    BOOST_TEST(d.allow_origin == kPartner);
    BOOST_TEST(d.allow_methods == "PUT");
    BOOST_TEST(d.allow_headers == "x-custom");
    BOOST_TEST(d.max_age == "60");
    BOOST_TEST(d.vary == kVaryPreflight);
}

BOOST_AUTO_TEST_CASE(max_age_zero_is_sent) {
    Scope s;
    s.allow_origin({kPartner}).max_age(0);
    Req r = preflight(kPartner, "GET");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.max_age == "0");
}

BOOST_AUTO_TEST_CASE(max_age_upper_bound_is_sent) {
    Scope s;
    s.allow_origin({kPartner}).max_age(86400);
    Req r = preflight(kPartner, "GET");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.max_age == "86400");
}

BOOST_AUTO_TEST_CASE(max_age_unset_sends_none) {
    Scope s;
    s.allow_origin({kPartner});
    Req r = preflight(kPartner, "GET");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.max_age.empty());
}

BOOST_AUTO_TEST_CASE(private_network_asked_and_allowed) {
    Scope s;
    s.allow_origin({kPartner}).private_network();
    Req r = preflight(kPartner, "GET");
    r.acrpn = "true";
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.action == Action::AnswerPreflight);
    BOOST_TEST(d.allow_private_network == "true");
}

BOOST_AUTO_TEST_CASE(private_network_asked_but_off_is_answered_without_it) {
    Scope s;
    s.allow_origin({kPartner});
    Req r = preflight(kPartner, "GET");
    r.acrpn = "true";
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.action == Action::AnswerPreflight);
    BOOST_TEST(d.allow_origin == kPartner);
    BOOST_TEST(d.allow_private_network.empty());
}

BOOST_AUTO_TEST_CASE(private_network_allowed_but_not_asked_is_not_sent) {
    Scope s;
    s.allow_origin({kPartner}).private_network();
    Req r = preflight(kPartner, "GET");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allow_private_network.empty());
    Req f = preflight(kPartner, "GET");
    f.acrpn = "false";
    Decision d2;
    run(s, f, d2);
    BOOST_TEST(d2.allow_private_network.empty());
}

BOOST_AUTO_TEST_CASE(static_any_preflight_answers_star) {
    Scope s;
    s.allow_origin({"*"}).allow_methods({"PUT"});
    Req r = preflight("https://anyone.example", "PUT", "content-type");
    s.allow_headers_({"Content-Type"});
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.action == Action::AnswerPreflight);
    BOOST_TEST(d.allow_origin == "*");
    BOOST_TEST(d.allow_credentials.empty());
    BOOST_TEST(d.allow_methods == "PUT");
    BOOST_TEST(d.allow_headers == "content-type");
    BOOST_TEST((d.vary & (cors::kVaryRequestMethod | cors::kVaryRequestHeaders)) ==
               (cors::kVaryRequestMethod | cors::kVaryRequestHeaders));
}

BOOST_AUTO_TEST_CASE(preflight_with_invalid_origin_fails) {
    Scope s;
    s.allow_origin({"*"}).allow_methods({"*"});
    Req r = preflight("https://partner.example:0", "GET");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.kind == RequestKind::Preflight);
    BOOST_TEST(!d.origin_valid);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    BOOST_TEST(reason_text(d).rfind("invalid origin", 0) == 0u);
    BOOST_TEST(d.vary == kVaryPreflight);
    BOOST_TEST(no_allow_headers(d));
}

BOOST_AUTO_TEST_CASE(preflight_from_null_origin_needs_null_rule) {
    Scope s;
    s.allow_origin({"*"});
    Req r = preflight("null", "GET");
    Decision d;
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.action == Action::Reject);
    Scope n;
    n.allow_origin({"null"});
    Decision d2;
    run(n, r, d2);
    BOOST_TEST(d2.allowed);
    BOOST_TEST(d2.allow_origin == "null");
}

BOOST_AUTO_TEST_CASE(preflight_allowed_by_pattern) {
    Scope s;
    s.allow_match("@\\.partner\\.example$@i").allow_methods({"PUT"});
    Req r = preflight("https://API.partner.example", "PUT");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_origin == "https://API.partner.example");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(decide_report_only)

// Report-only: the decision is the one that would apply.
void expect_same_decision(Scope& s, const Req& r) {
    Decision normal;
    run(s, r, normal);
    s.report_only();
    Decision report;
    run(s, r, report);
    s.policy.report_only = false;
    BOOST_TEST(report.kind == normal.kind);
    BOOST_TEST(report.allowed == normal.allowed);
    BOOST_TEST(report.action == normal.action);
    BOOST_TEST(reason_text(report) == reason_text(normal));
    BOOST_TEST(report.allow_origin == normal.allow_origin);
    BOOST_TEST(report.allow_methods == normal.allow_methods);
    BOOST_TEST(report.allow_headers == normal.allow_headers);
    BOOST_TEST(report.vary == normal.vary);
}

BOOST_AUTO_TEST_CASE(report_only_rejection_is_the_decision_that_would_apply) {
    Scope s;
    s.allow_origin({kPartner});
    Req r = actual("https://evil.example");
    expect_same_decision(s, r);
    Decision d;
    s.report_only();
    run(s, r, d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(reason_text(d) == "origin not allowed");
}

BOOST_AUTO_TEST_CASE(report_only_allowed_and_failed_preflights_match_normal) {
    Scope s;
    s.allow_origin({kPartner}).allow_methods({"PUT"}).allow_headers_({"X-A"});
    expect_same_decision(s, preflight(kPartner, "PUT", "x-a"));
    expect_same_decision(s, preflight(kPartner, "DELETE"));
    expect_same_decision(s, preflight(kPartner, "PUT", "x-b"));
    expect_same_decision(s, actual(kPartner));
    expect_same_decision(s, no_origin());
    expect_same_decision(s, actual("https://partner.example/"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(decide_properties)

BOOST_AUTO_TEST_CASE(decide_never_allocates) {
    Scope s;
    s.allow_origin({kPartner, "https://*.partner.example"}).allow_match("#^https://x\\.example$#")
        .allow_methods({"PUT"}).allow_headers_({"*"}).expose_headers({"X-A", "X-B"}).credentials().max_age(600);
    std::vector<Req> reqs = {
        no_origin(), actual(kPartner), actual("https://x.example"), actual("https://evil.example"),
        actual("https://partner.example/"), actual("null"), actual("https://api.example", "POST"),
        preflight(kPartner, "PUT", "x-a, X-B, content-type"), preflight(kPartner, "DELETE"),
        preflight(kPartner, "PUT", "authorization"), preflight(kPartner, "PUT", std::string(3000, 'x')),
    };
    for (const Req& r : reqs) {
        Decision d;
        cors::Request req = r.get();
        std::size_t allocations = 0;
        {
            test_support::AllocationCounter counter;
            cors::decide(s.policy, req, d);
            allocations = counter.count();
        }
        BOOST_TEST(allocations == 0u, "allocated while deciding for " << r.method << " "
                                                                            << r.origin.value_or("(none)"));
    }
}

BOOST_AUTO_TEST_CASE(decide_kind_agrees_with_classify) {
    Scope s;
    s.allow_origin({kPartner});
    std::vector<Req> reqs = {no_origin(), actual(kPartner), preflight(kPartner, "GET"),
                             actual("https://api.example", "POST"), actual("https://partner.example#x")};
    for (const Req& r : reqs) {
        Decision d;
        run(s, r, d);
        BOOST_TEST(d.kind == classify(r));
    }
}

BOOST_AUTO_TEST_CASE(allowed_decisions_carry_no_reason) {
    Scope s;
    s.allow_origin({kPartner}).allow_methods({"PUT"});
    for (const Req& r : {no_origin(), actual(kPartner), preflight(kPartner, "PUT")}) {
        Decision d;
        run(s, r, d);
        BOOST_TEST(d.allowed);
        BOOST_TEST(reason_text(d).empty());
    }
}

BOOST_AUTO_TEST_CASE(static_any_only_without_credentials) {
    Scope any;
    any.allow_origin({"*"});
    BOOST_TEST(any.policy.static_any());
    any.credentials();
    BOOST_TEST(!any.policy.static_any());
    Scope exact;
    exact.allow_origin({kPartner});
    BOOST_TEST(!exact.policy.static_any());
    Scope empty;
    BOOST_TEST(!empty.policy.static_any());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(vary_header)

BOOST_AUTO_TEST_CASE(vary_value_for_origin) {
    BOOST_TEST(cors::vary_value(cors::kVaryOrigin) == "Origin");
}

BOOST_AUTO_TEST_CASE(vary_value_for_preflight_bits) {
    BOOST_TEST(cors::vary_value(kVaryPreflight) ==
               "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
}

BOOST_AUTO_TEST_CASE(vary_value_single_request_bits) {
    BOOST_TEST(cors::vary_value(cors::kVaryRequestMethod) == "Access-Control-Request-Method");
    BOOST_TEST(cors::vary_value(cors::kVaryRequestHeaders) == "Access-Control-Request-Headers");
    BOOST_TEST(cors::vary_value(cors::kVaryRequestMethod | cors::kVaryRequestHeaders) ==
               "Access-Control-Request-Method, Access-Control-Request-Headers");
    BOOST_TEST(cors::vary_value(cors::kVaryOrigin | cors::kVaryRequestHeaders) ==
               "Origin, Access-Control-Request-Headers");
}

BOOST_AUTO_TEST_CASE(vary_value_for_no_bits_is_empty) {
    BOOST_TEST(cors::vary_value(0).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(policy_checks)

struct Checked {
    std::vector<std::string> errors, warnings;
    explicit Checked(const Scope& s) { cors::check_policy(s.policy, errors, warnings); }
    static bool any_contains(const std::vector<std::string>& v, std::string_view what) {
        for (const auto& s : v)
            if (test_support::contains_ci(s, what)) return true;
        return false;
    }
};

BOOST_AUTO_TEST_CASE(clean_policy_has_no_errors_or_warnings) {
    Scope s;
    s.allow_origin({kPartner, "https://*.partner.example"}).allow_match("@\\.partner\\.example$@i")
        .credentials().allow_methods({"PUT"}).allow_headers_({"X-A"}).max_age(600);
    Checked c(s);
    BOOST_TEST(c.errors.empty());
    BOOST_TEST(c.warnings.empty());
}

BOOST_AUTO_TEST_CASE(empty_policy_has_no_errors) {
    Scope s;
    Checked c(s);
    BOOST_TEST(c.errors.empty());
    BOOST_TEST(c.warnings.empty());
}

BOOST_AUTO_TEST_CASE(star_with_credentials_is_an_error_naming_directives) {
    Scope s;
    s.allow_origin({"*"}).credentials();
    Checked c(s);
    BOOST_TEST(c.errors.size() >= 1u);
    BOOST_TEST(Checked::any_contains(c.errors, "CORSAllowOrigin"));
}

BOOST_AUTO_TEST_CASE(star_without_credentials_is_fine) {
    Scope s;
    s.allow_origin({"*"});
    Checked c(s);
    BOOST_TEST(c.errors.empty());
}

BOOST_AUTO_TEST_CASE(unanchored_pattern_is_a_warning) {
    Scope s;
    s.allow_match("#^https://partner\\.example#");
    Checked c(s);
    BOOST_TEST(c.errors.empty());
    BOOST_TEST(c.warnings.size() == 1u);
    BOOST_TEST(Checked::any_contains(c.warnings, "CORSAllowOriginMatch"));
}

BOOST_AUTO_TEST_CASE(anchored_pattern_gives_no_warning) {
    Scope s;
    s.allow_match("^https://.+\\.partner\\.example$").allow_match("/^https:\\/\\/a\\.example\\z/");
    Checked c(s);
    BOOST_TEST(c.warnings.empty());
}

BOOST_AUTO_TEST_CASE(http_origin_with_credentials_is_a_warning) {
    Scope s;
    s.allow_origin({"http://partner.example"}).credentials();
    Checked c(s);
    BOOST_TEST(c.errors.empty());
    BOOST_TEST(c.warnings.size() == 1u);
    BOOST_TEST(Checked::any_contains(c.warnings, "http"));
}

BOOST_AUTO_TEST_CASE(http_origin_without_credentials_is_not_a_warning) {
    Scope s;
    s.allow_origin({"http://partner.example"});
    Checked c(s);
    BOOST_TEST(c.warnings.empty());
}

BOOST_AUTO_TEST_CASE(null_allowed_is_a_warning) {
    Scope s;
    s.allow_origin({"null"});
    Checked c(s);
    BOOST_TEST(c.errors.empty());
    BOOST_TEST(c.warnings.size() == 1u);
    BOOST_TEST(Checked::any_contains(c.warnings, "null"));
}

BOOST_AUTO_TEST_CASE(several_warnings_are_all_reported) {
    Scope s;
    s.allow_origin({"null", "http://partner.example"}).allow_match("/partner/").credentials();
    Checked c(s);
    BOOST_TEST(c.errors.empty());
    BOOST_TEST(c.warnings.size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

// classify() and decide() for every row of contract.md and docs/behaviour.md,
// vary_value(), Policy::static_any(), check_policy() (decision.hpp).
#include <boost/test/unit_test.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "decision.hpp"
#include "test_support.hpp"

using cors::Action;
using cors::Decision;
using cors::NameList;
using cors::OriginError;
using cors::RequestKind;
namespace bdata = boost::unit_test::data;

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
    std::string hostname;         // the server's host name (r->hostname); set with named_scheme or without Host
    bool named_scheme = false;    // ServerName https://host[:port]
    std::uint16_t server_port = 0;
    std::uint16_t local_port = 0;
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
        r.hostname = hostname;
        r.named_scheme = named_scheme;
        r.server_port = server_port;
        r.local_port = local_port;
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

using cors::reason_text;  // CORS_REASON, as the engine writes it for the glue

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

// ---------------------------------------------------------------- classify(), as a table

namespace {

Req with_acrpn(Req r, std::string value) {
    r.acrpn = std::move(value);
    return r;
}
Req with_origin_lines(Req r, int count) {
    r.origin_count = count;
    return r;
}
Req with_method(Req r, std::string method) {
    r.method = std::move(method);
    return r;
}
Req sent_to(Req r, std::string scheme, std::string host) {
    r.scheme = std::move(scheme);
    r.host = std::move(host);
    return r;
}

// Behind a TLS-terminating proxy: `ServerName https://<hostname>[:<server_port>]`, the
// request arriving over plain HTTP with the proxy's Host.
Req behind_tls_proxy(Req r, std::string host, std::string hostname, std::uint16_t server_port = 0) {
    r.scheme = "https";  // ap_http_scheme(): ServerName's
    r.host = std::move(host);
    r.hostname = std::move(hostname);
    r.named_scheme = true;
    r.server_port = server_port;
    r.local_port = 8080;
    return r;
}
// An HTTP/1.0 request without a Host header: the server's name and the port reached.
Req without_host(Req r, std::string scheme, std::string hostname, std::uint16_t local_port) {
    r.scheme = std::move(scheme);
    r.host.clear();
    r.hostname = std::move(hostname);
    r.local_port = local_port;
    return r;
}

// One row: a request, its kind, and (when set) the origin error classify() reports.
struct Kind {
    std::string name;
    Req req;
    RequestKind kind;
    std::optional<OriginError> error;
};
std::ostream& operator<<(std::ostream& os, const Kind& k) { return os << k.name; }

const std::vector<Kind> kKinds = {
    {"no_origin_is_none", no_origin(), RequestKind::None, {}},
    {"no_origin_options_is_none", no_origin("OPTIONS"), RequestKind::None, {}},
    {"cross_origin_get_is_actual", actual(kPartner), RequestKind::Actual, OriginError::None},
    {"options_with_origin_and_acrm_is_preflight", preflight(kPartner, "PUT"), RequestKind::Preflight, {}},
    {"options_with_empty_acrm_is_preflight", preflight(kPartner, ""), RequestKind::Preflight, {}},
    {"options_without_acrm_is_actual", actual(kPartner, "OPTIONS"), RequestKind::Actual, {}},
    {"non_options_with_acrm_is_actual", with_method(preflight(kPartner, "PUT"), "POST"), RequestKind::Actual, {}},
    {"same_origin_https_default_port", actual("https://api.example", "POST"), RequestKind::SameOrigin, {}},
    {"same_origin_https_explicit_default_port", actual("https://api.example:443", "POST"), RequestKind::SameOrigin,
     {}},
    {"same_origin_host_with_default_port", sent_to(actual("https://api.example", "POST"), "https", "api.example:443"),
     RequestKind::SameOrigin, {}},
    {"same_origin_http_with_port_in_host", sent_to(actual("http://localhost:8080", "POST"), "http", "localhost:8080"),
     RequestKind::SameOrigin, {}},
    {"same_origin_is_case_insensitive_on_host", sent_to(actual("https://API.Example", "POST"), "https", "api.EXAMPLE"),
     RequestKind::SameOrigin, {}},
    {"same_origin_ipv6_host", sent_to(actual("http://[::1]:8080", "POST"), "http", "[::1]:8080"),
     RequestKind::SameOrigin, {}},
    {"port_differs_from_host_port_is_actual", sent_to(actual("http://localhost", "POST"), "http", "localhost:8080"),
     RequestKind::Actual, {}},
    {"explicit_port_differs_from_default_is_actual", actual("https://api.example:8443"), RequestKind::Actual, {}},
    {"scheme_differs_from_connection_is_actual", actual("http://api.example"), RequestKind::Actual, {}},
    {"same_origin_options_with_acrm_is_not_a_preflight", preflight("https://api.example", "PUT", "x-custom-header"),
     RequestKind::SameOrigin, {}},
    {"unusable_host_leaves_request_cross_origin", sent_to(actual("https://api.example"), "https", ""),
     RequestKind::Actual, {}},
    {"invalid_origin_keeps_actual_class_and_reports_error", actual("https://partner.example/"), RequestKind::Actual,
     OriginError::HasPath},
    {"invalid_origin_keeps_preflight_class", preflight("https://user@partner.example", "PUT"),
     RequestKind::Preflight, OriginError::UserInfo},
    {"several_origin_lines_are_invalid",
     with_origin_lines(actual("https://partner.example, https://other.example"), 2), RequestKind::Actual,
     OriginError::Several},
    {"several_identical_origin_lines_are_invalid", with_origin_lines(actual(kPartner), 2),  // the glue saw two lines
     RequestKind::Actual, OriginError::Several},
    {"invalid_origin_equal_to_own_host_is_not_same_origin", actual("https://api.example/", "POST"),
     RequestKind::Actual, OriginError::HasPath},
    {"empty_origin_header_is_present_but_invalid", actual(""), RequestKind::Actual, OriginError::Empty},
    {"null_origin_is_cross_origin", actual("null", "POST"), RequestKind::Actual, OriginError::None},
    // The request's own origin under ServerName https://host[:port] (is_own_origin).
    {"tls_proxy_own_origin_is_same_origin", behind_tls_proxy(actual("https://api.example", "POST"), "api.example",
                                                             "api.example"),
     RequestKind::SameOrigin, {}},
    {"tls_proxy_port_in_host_is_the_proxys_not_ours",
     behind_tls_proxy(actual("https://api.example", "POST"), "api.example:8080", "api.example"),
     RequestKind::SameOrigin, {}},
    {"tls_proxy_http_origin_is_cross_origin",
     behind_tls_proxy(actual("http://api.example:8080", "POST"), "api.example:8080", "api.example"),
     RequestKind::Actual, {}},
    {"tls_proxy_servername_port_counts",
     behind_tls_proxy(actual("https://api.example:8443", "POST"), "api.example", "api.example", 8443),
     RequestKind::SameOrigin, {}},
    {"tls_proxy_default_port_differs_from_servername_port",
     behind_tls_proxy(actual("https://api.example", "POST"), "api.example", "api.example", 8443),
     RequestKind::Actual, {}},
    {"tls_proxy_other_host_is_cross_origin",
     behind_tls_proxy(actual("https://other.example", "POST"), "api.example", "api.example"), RequestKind::Actual, {}},
    {"tls_proxy_ipv6_host_gets_brackets", behind_tls_proxy(actual("https://[::1]", "POST"), "[::1]:8080", "::1"),
     RequestKind::SameOrigin, {}},
    {"tls_proxy_ipv6_host_case_insensitive",
     behind_tls_proxy(actual("https://[FE80::1]", "POST"), "[fe80::1]", "fe80::1"), RequestKind::SameOrigin, {}},
    {"without_host_the_server_name_and_port_reached",
     without_host(actual("http://api.example:8080", "POST"), "http", "api.example", 8080), RequestKind::SameOrigin, {}},
    {"without_host_another_port_is_cross_origin",
     without_host(actual("http://api.example", "POST"), "http", "api.example", 8080), RequestKind::Actual, {}},
    {"without_host_or_name_is_cross_origin", without_host(actual("http://api.example", "POST"), "http", "", 80),
     RequestKind::Actual, {}},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(classification)

BOOST_DATA_TEST_CASE(rows, bdata::make(kKinds), k) {
    OriginError e = OriginError::None;
    BOOST_TEST(classify(k.req, &e) == k.kind);
    if (k.error) BOOST_TEST(e == *k.error);
}

// Every reason has its own text (CORS_REASON, the status page's rows); None has none.
BOOST_AUTO_TEST_CASE(reason_texts_are_distinct_and_only_none_is_empty) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < cors::kReasons; ++i) {
        const std::string text = cors::to_string(static_cast<cors::Reason>(i));
        BOOST_TEST(text.empty() == (i == 0), "reason " << i << ": '" << text << "'");
        BOOST_TEST(seen.insert(text).second, "reason " << i << " repeats '" << text << "'");
    }
}

// CORS_REASON's detail is capped; the text is made by the engine alone.
BOOST_AUTO_TEST_CASE(reason_text_caps_the_detail) {
    Scope s;
    s.allow_origin({kPartner});
    const std::string method(3000, 'Z');
    Req r = preflight(kPartner, method);
    Decision d;
    cors::decide(s.policy, r.get(), d);
    BOOST_TEST(cors::reason_text(d) == "method not allowed: " + method.substr(0, cors::kReasonDetailMax));
    BOOST_TEST(cors::reason_length(d) == cors::reason_text(d).size());
}

BOOST_AUTO_TEST_CASE(request_kind_names_match_cors_request_values) {
    BOOST_TEST(std::string(cors::to_string(RequestKind::None)) == "none");
    BOOST_TEST(std::string(cors::to_string(RequestKind::SameOrigin)) == "same-origin");
    BOOST_TEST(std::string(cors::to_string(RequestKind::Actual)) == "actual");
    BOOST_TEST(std::string(cors::to_string(RequestKind::Preflight)) == "preflight");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- decide(), as tables
//
// One row: a name, the scope's configuration, one request, and what the decision must
// say. Only the expectations a row sets are checked.

namespace {

using Setup = std::function<void(Scope&)>;

struct Case {
    std::string name;
    Setup setup;
    Req req;
    std::optional<RequestKind> kind_;
    std::optional<bool> allowed_, origin_valid_;
    std::optional<Action> action_;
    std::optional<std::string> allow_origin_, credentials_, expose_, methods_, headers_, max_age_, pn_, reason_;
    std::optional<unsigned> vary_;
    bool no_allow_headers_ = false;
    bool some_reason_ = false;

    Case(std::string n, Setup s, Req r) : name(std::move(n)), setup(std::move(s)), req(std::move(r)) {}
    Case& kind(RequestKind k) { kind_ = k; return *this; }
    Case& allowed() { allowed_ = true; return *this; }
    Case& refused() { allowed_ = false; return *this; }
    Case& valid(bool v) { origin_valid_ = v; return *this; }
    Case& action(Action a) { action_ = a; return *this; }
    Case& origin(std::string v) { allow_origin_ = std::move(v); return *this; }
    Case& credentials(std::string v) { credentials_ = std::move(v); return *this; }
    Case& expose(std::string v) { expose_ = std::move(v); return *this; }
    Case& methods(std::string v) { methods_ = std::move(v); return *this; }
    Case& headers(std::string v) { headers_ = std::move(v); return *this; }
    Case& max_age(std::string v) { max_age_ = std::move(v); return *this; }
    Case& private_network(std::string v) { pn_ = std::move(v); return *this; }
    Case& reason(std::string v) { reason_ = std::move(v); return *this; }
    Case& some_reason() { some_reason_ = true; return *this; }
    Case& vary(unsigned v) { vary_ = v; return *this; }
    Case& no_allow_headers() { no_allow_headers_ = true; return *this; }
    // Shorthands for the frequent shapes.
    Case& answered() { return allowed().action(Action::AnswerPreflight); }
    Case& rejected() { return refused().action(Action::Reject); }
};
std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

void check(const Case& c) {
    Scope s;
    c.setup(s);
    Decision d;
    run(s, c.req, d);
    BOOST_TEST_CONTEXT(c.name) {
        if (c.kind_) BOOST_TEST(d.kind == *c.kind_);
        if (c.allowed_) BOOST_TEST(d.allowed == *c.allowed_);
        if (c.origin_valid_) BOOST_TEST(d.origin_valid == *c.origin_valid_);
        if (c.action_) BOOST_TEST(d.action == *c.action_);
        if (c.allow_origin_) BOOST_TEST(d.allow_origin == *c.allow_origin_);
        if (c.credentials_) BOOST_TEST(d.allow_credentials == *c.credentials_);
        if (c.expose_) BOOST_TEST(d.expose_headers == *c.expose_);
        if (c.methods_) BOOST_TEST(d.allow_methods == *c.methods_);
        if (c.headers_) BOOST_TEST(d.allow_headers == *c.headers_);
        if (c.max_age_) BOOST_TEST(d.max_age == *c.max_age_);
        if (c.pn_) BOOST_TEST(d.allow_private_network == *c.pn_);
        if (c.reason_) BOOST_TEST(reason_text(d) == *c.reason_);
        if (c.some_reason_) BOOST_TEST(!reason_text(d).empty());
        if (c.vary_) BOOST_TEST(d.vary == *c.vary_);
        if (c.no_allow_headers_) BOOST_TEST(no_allow_headers(d));
    }
}


const Setup partner = [](Scope& s) { s.allow_origin({kPartner}); };
const Setup any_origin = [](Scope& s) { s.allow_origin({"*"}); };
const Setup nothing = [](Scope&) {};
std::string invalid(OriginError e) { return std::string("invalid origin: ") + cors::describe(e); }

// The longest list of 8-byte names joined by ", " that, with one last name, echoes to
// exactly kMaxAllowHeadersLength bytes: (the request's list, the echo).
std::pair<std::string, std::string> list_echoing_to_the_limit() {
    std::string list, want;
    std::size_t i = 0;
    while (want.size() + 2 + 8 <= cors::kMaxAllowHeadersLength - 10) {
        std::string n = "x-" + std::to_string(100000 + i++);
        if (!want.empty()) { want += ", "; list += ","; }
        want += n;
        list += n;
    }
    std::string last(cors::kMaxAllowHeadersLength - want.size() - 2, 'y');
    return {list + "," + last, want + ", " + last};
}

std::string many_short_headers() {
    std::string list;
    for (int i = 0; i < 1000; ++i) list += "x-h" + std::to_string(i) + ",";
    return list;
}

const std::vector<Case> kNoneAndSameOrigin = {
    Case("no_origin_continues_with_vary_origin_only",
         [](Scope& s) { s.allow_origin({kPartner}).credentials().expose_headers({"X-Total"}); }, no_origin())
        .kind(RequestKind::None).allowed().action(Action::Continue).vary(cors::kVaryOrigin).no_allow_headers()
        .reason(""),
    Case("no_origin_under_static_any_gets_star_without_vary",
         [](Scope& s) { s.allow_origin({"*"}).expose_headers({"X-Total", "X-Page"}); }, no_origin())
        .action(Action::Continue).origin("*").expose("X-Total, X-Page").credentials("").vary(0),
    Case("no_origin_under_star_with_credentials_gets_vary_and_no_star",
         [](Scope& s) { s.allow_origin({"*"}).credentials(); }, no_origin())
        .origin("").vary(cors::kVaryOrigin),
    Case("same_origin_is_never_rejected", nothing, actual("https://api.example", "POST"))
        .kind(RequestKind::SameOrigin).allowed().action(Action::Continue).vary(cors::kVaryOrigin).no_allow_headers(),
    Case("same_origin_gets_no_cors_headers_even_when_allowed",
         [](Scope& s) { s.allow_origin({"https://api.example"}).credentials(); }, actual("https://api.example", "POST"))
        .kind(RequestKind::SameOrigin).no_allow_headers().vary(cors::kVaryOrigin),
    Case("same_origin_listed_in_the_rules_and_spelled_otherwise",
         [](Scope& s) { s.allow_origin({"https://api.example"}); }, actual("HTTPS://API.example:443", "POST"))
        .kind(RequestKind::SameOrigin).no_allow_headers().vary(cors::kVaryOrigin),
    Case("same_origin_options_preflight_is_not_answered", nothing,
         preflight("https://api.example", "DELETE", "x-custom-header"))
        .kind(RequestKind::SameOrigin).action(Action::Continue).allowed().methods(""),
    Case("same_origin_under_static_any_gets_star_without_vary", any_origin, actual("https://api.example", "POST"))
        .kind(RequestKind::SameOrigin).origin("*").vary(0),
};

const std::vector<Case> kActual = {
    Case("allowed_origin_is_echoed_with_vary_origin", partner, actual(kPartner))
        .kind(RequestKind::Actual).valid(true).allowed().action(Action::Continue).origin(kPartner).credentials("")
        .expose("").vary(cors::kVaryOrigin).reason(""),
    Case("allowed_origin_is_echoed_byte_for_byte", partner, actual("HTTPS://Partner.Example:443"))
        .allowed().origin("HTTPS://Partner.Example:443"),
    Case("allowed_origin_on_a_port_is_echoed", [](Scope& s) { s.allow_origin({"http://partner.example:8080"}); },
         actual("http://partner.example:8080"))
        .allowed().origin("http://partner.example:8080").vary(cors::kVaryOrigin),
    Case("allowed_origin_on_another_port_is_refused",
         [](Scope& s) { s.allow_origin({"http://partner.example:8080"}); }, actual("http://partner.example:8081"))
        .rejected().reason("origin not allowed"),
    Case("listed_origin_sent_on_several_lines_is_invalid", partner, with_origin_lines(actual(kPartner), 2))
        .rejected().valid(false).reason(invalid(OriginError::Several)),
    Case("credentials_add_allow_credentials_true", [](Scope& s) { s.allow_origin({kPartner}).credentials(); },
         actual(kPartner, "POST"))
        .origin(kPartner).credentials("true"),
    Case("expose_headers_joined_as_configured",
         [](Scope& s) { s.allow_origin({kPartner}).expose_headers({"X-Total-Count", "X-Request-Id"}); },
         actual(kPartner))
        .expose("X-Total-Count, X-Request-Id"),
    Case("expose_headers_star_is_sent_as_star", [](Scope& s) { s.allow_origin({kPartner}).expose_headers({"*"}); },
         actual(kPartner))
        .expose("*"),
    Case("preflight_only_headers_never_on_actual_requests",
         [](Scope& s) {
             s.allow_origin({kPartner}).allow_methods({"PUT"}).allow_headers_({"X-Custom"}).max_age(600)
                 .private_network();
         },
         with_acrpn(actual(kPartner, "PUT"), "true"))
        .allowed().methods("").headers("").max_age("").private_network(""),
    Case("method_is_not_checked_on_actual_requests", partner, actual(kPartner, "DELETE"))
        .allowed().action(Action::Continue).origin(kPartner),
    Case("options_without_acrm_is_an_allowed_actual_request", partner, actual(kPartner, "OPTIONS"))
        .kind(RequestKind::Actual).action(Action::Continue).origin(kPartner).methods(""),
    Case("unlisted_origin_is_rejected_with_vary_origin_only",
         [](Scope& s) { s.allow_origin({kPartner}).credentials().expose_headers({"X-Total"}); },
         actual("https://evil.example"))
        .kind(RequestKind::Actual).rejected().reason("origin not allowed").vary(cors::kVaryOrigin).no_allow_headers(),
    Case("reject_off_continues_without_cors_headers",
         [](Scope& s) { s.allow_origin({kPartner}).reject_off().expose_headers({"X-Total"}); },
         actual("https://evil.example"))
        .refused().action(Action::Continue).reason("origin not allowed").vary(cors::kVaryOrigin).no_allow_headers(),
    Case("no_origin_rules_at_all_rejects_cross_origin", nothing, actual(kPartner)).rejected(),
    Case("subdomain_wildcard_allows_deep_subdomain", [](Scope& s) { s.allow_origin({"https://*.partner.example"}); },
         actual("https://a.b.partner.example"))
        .allowed().origin("https://a.b.partner.example"),
    Case("subdomain_wildcard_does_not_allow_the_apex",
         [](Scope& s) { s.allow_origin({"https://*.partner.example"}); }, actual(kPartner))
        .refused(),
    Case("pattern_alone_allows_origin",
         [](Scope& s) { s.allow_match("#^https://(www|api)\\.partner\\.example$#"); },
         actual("https://api.partner.example"))
        .allowed().origin("https://api.partner.example"),
    Case("pattern_alone_refuses_other_origins",
         [](Scope& s) { s.allow_match("#^https://(www|api)\\.partner\\.example$#"); },
         actual("https://web.partner.example"))
        .refused().reason("origin not allowed"),
    Case("pattern_is_tested_against_origin_as_received_case",
         [](Scope& s) { s.allow_match("/^https:\\/\\/partner\\.example$/"); }, actual("HTTPS://PARTNER.EXAMPLE"))
        .refused(),
    Case("pattern_is_tested_against_origin_as_received_port",
         [](Scope& s) { s.allow_match("/^https:\\/\\/partner\\.example$/"); }, actual("https://partner.example:443"))
        .refused(),
    Case("rules_and_patterns_are_a_union_rule",
         [](Scope& s) { s.allow_origin({"https://a.example"}).allow_match("@^https://b\\.example$@"); },
         actual("https://a.example"))
        .allowed(),
    Case("rules_and_patterns_are_a_union_pattern",
         [](Scope& s) { s.allow_origin({"https://a.example"}).allow_match("@^https://b\\.example$@"); },
         actual("https://b.example"))
        .allowed(),
    Case("rules_and_patterns_are_a_union_neither",
         [](Scope& s) { s.allow_origin({"https://a.example"}).allow_match("@^https://b\\.example$@"); },
         actual("https://c.example"))
        .refused(),
    Case("match_limit_counts_as_no_match_with_its_reason",
         [](Scope& s) { s.allow_match("#^https://(a|aa)+\\.example$#"); },
         actual("https://" + std::string(60, 'a') + "b.example"))
        .rejected().reason("pattern match limit exceeded"),
    Case("static_any_answers_star_without_vary", [](Scope& s) { s.allow_origin({"*"}).expose_headers({"X-Total"}); },
         actual("https://anyone.example"))
        .allowed().origin("*").credentials("").expose("X-Total").vary(0),
    Case("star_with_credentials_from_merging_matches_nothing", [](Scope& s) { s.allow_origin({"*"}).credentials(); },
         actual(kPartner))
        .rejected().reason("CORSAllowOrigin * is not allowed with credentials").origin("").vary(cors::kVaryOrigin),
    Case("star_with_credentials_keeps_other_rules", [](Scope& s) { s.allow_origin({"*", kPartner}).credentials(); },
         actual(kPartner))
        .allowed().origin(kPartner).credentials("true"),
    Case("star_plus_exact_rule_without_credentials_is_static_star",
         [](Scope& s) { s.allow_origin({"*", kPartner}); }, actual(kPartner))
        .origin("*").vary(0),
    Case("null_origin_refused_without_null_rule",
         [](Scope& s) { s.allow_origin({kPartner, "https://*.partner.example"}); }, actual("null", "POST"))
        .valid(true).rejected().reason("origin not allowed"),
    Case("null_origin_allowed_by_null_rule_is_echoed", [](Scope& s) { s.allow_origin({"null"}); },
         actual("null", "POST"))
        .allowed().origin("null").vary(cors::kVaryOrigin),
    Case("null_origin_refused_under_static_any_with_vary", any_origin, actual("null", "POST"))
        .rejected().origin("").vary(cors::kVaryOrigin),
    Case("null_origin_is_never_tested_against_patterns",
         [](Scope& s) { s.allow_match("/^null$/").allow_match("/.*/"); }, actual("null", "POST"))
        .refused(),
    Case("invalid_origin_refused_whatever_the_rules_say", any_origin, actual("https://partner.example/"))
        .valid(false).rejected().reason("invalid origin: path or trailing slash").origin("").vary(cors::kVaryOrigin),
    Case("invalid_origin_is_never_tested_against_patterns", [](Scope& s) { s.allow_match("/.*/"); },
         actual("https://user@partner.example"))
        .refused().reason(invalid(OriginError::UserInfo)),
    Case("several_origin_lines_are_refused_as_invalid",
         [](Scope& s) { s.allow_origin({kPartner, "https://other.example"}); },
         with_origin_lines(actual("https://partner.example, https://other.example"), 2))
        .refused().valid(false).reason(invalid(OriginError::Several)),
    Case("overlong_origin_is_refused_as_invalid", any_origin, actual("https://" + std::string(600, 'a') + ".example"))
        .refused().valid(false).reason(invalid(OriginError::TooLong)),
    Case("invalid_origin_with_reject_off_continues_without_headers",
         [](Scope& s) { s.allow_origin({kPartner}).reject_off(); }, actual("https://partner.example?x"))
        .refused().action(Action::Continue).no_allow_headers().vary(cors::kVaryOrigin),
};

const Setup put_headers = [](Scope& s) { s.allow_origin({kPartner}).allow_methods({"PUT"}); };
const Setup any_method = [](Scope& s) { s.allow_origin({kPartner}).allow_methods({"*"}); };
const Setup any_header = [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"*"}); };

std::vector<Case> preflight_cases() {
    std::vector<Case> cases = {
        Case("allowed_preflight_is_answered_with_every_header",
             [](Scope& s) {
                 s.allow_origin({kPartner}).allow_methods({"PUT", "DELETE"}).allow_headers_({"X-Custom-Header"})
                     .credentials().expose_headers({"X-Total"}).max_age(600);
             },
             preflight(kPartner, "PUT", "x-custom-header"))
            .kind(RequestKind::Preflight).answered().origin(kPartner).credentials("true").expose("X-Total")
            .methods("PUT").headers("x-custom-header").max_age("600").private_network("").vary(kVaryPreflight),
        Case("allow_methods_is_the_requested_method_only",
             [](Scope& s) { s.allow_origin({kPartner}).allow_methods({"PUT", "DELETE", "PATCH"}); },
             preflight(kPartner, "DELETE"))
            .methods("DELETE"),
        Case("default_methods_refuse_put", partner, preflight(kPartner, "PUT"))
            .rejected().reason("method not allowed: PUT"),
        Case("methods_are_case_sensitive", put_headers, preflight(kPartner, "put"))
            .refused().reason("method not allowed: put"),
        Case("lower_case_get_is_not_safelisted", partner, preflight(kPartner, "get"))
            .refused().reason("method not allowed: get"),
        Case("empty_acrm_fails_the_preflight", any_method, preflight(kPartner, ""))
            .kind(RequestKind::Preflight).rejected().some_reason().methods(""),
        Case("headers_compare_case_insensitively_and_echo_lower_case",
             [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"x-custom-header"}); },
             preflight(kPartner, "POST", "X-Custom-Header"))
            .allowed().headers("x-custom-header"),
        Case("several_headers_echoed_joined_by_comma_space",
             [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"Content-Type", "X-Request-Id", "X-Page"}); },
             preflight(kPartner, "POST", "content-type,x-request-id"))
            .allowed().headers("content-type, x-request-id"),
        Case("header_list_white_space_and_empty_elements_skipped",
             [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"X-A", "X-B"}); },
             preflight(kPartner, "POST", " ,X-A ,, \t x-b\t,"))
            .allowed().headers("x-a, x-b"),
        Case("empty_header_list_sends_no_allow_headers_empty", partner, preflight(kPartner, "GET", std::string()))
            .allowed().headers(""),
        Case("empty_header_list_sends_no_allow_headers_commas", partner, preflight(kPartner, "GET", " , ,"))
            .allowed().headers(""),
        Case("empty_header_list_sends_no_allow_headers_absent", partner, preflight(kPartner, "GET"))
            .allowed().headers(""),
        Case("unlisted_header_fails_with_its_name",
             [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"Content-Type"}); },
             preflight(kPartner, "POST", "content-type, x-custom-header"))
            .rejected().reason("header not allowed: x-custom-header").no_allow_headers(),
        Case("no_allow_headers_configured_refuses_every_header", partner, preflight(kPartner, "POST", "content-type"))
            .refused().reason("header not allowed: content-type"),
        Case("star_headers_allow_any_header", any_header, preflight(kPartner, "POST", "X-Anything, content-type"))
            .allowed().headers("x-anything, content-type"),
        Case("star_headers_do_not_cover_authorization", any_header,
             preflight(kPartner, "GET", "x-custom, authorization"))
            .rejected().reason("header not allowed: authorization"),
        Case("star_headers_do_not_cover_authorization_in_any_case", any_header,
             preflight(kPartner, "GET", "X-Custom, AUTHORIZATION"))
            .rejected().reason("header not allowed: AUTHORIZATION"),
        Case("listed_header_compares_in_any_case",
             [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"x-custom", "X-Other"}); },
             preflight(kPartner, "GET", "X-CUSTOM, x-oThEr"))
            .answered().headers("x-custom, x-other"),
        Case("overlong_unlisted_header_is_not_allowed",
             [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"X-A"}); },
             preflight(kPartner, "POST", "x-a, " + std::string(3000, 'z')))
            .rejected().reason("header not allowed: " + std::string(cors::kReasonDetailMax, 'z')).headers(""),
        Case("overlong_allowed_header_is_too_long", any_header,
             preflight(kPartner, "POST", "x-a, " + std::string(3000, 'z')))
            .rejected().reason("Access-Control-Request-Headers too long: " + std::string(cors::kReasonDetailMax, 'z')).headers(""),
        Case("requested_header_named_star_is_never_echoed",
             [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"*"}).credentials(); },
             preflight(kPartner, "GET", "x-custom, *"))
            .refused().headers("").reason("header not allowed: *"),
        Case("requested_method_named_star_is_never_echoed",
             [](Scope& s) { s.allow_origin({kPartner}).allow_methods({"*"}).credentials(); }, preflight(kPartner, "*"))
            .refused().methods("").reason("method not allowed: *"),
        Case("star_plus_authorization_allows_authorization",
             [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"*", "Authorization"}); },
             preflight(kPartner, "GET", "Authorization, x-custom"))
            .allowed().headers("authorization, x-custom"),
        Case("authorization_listed_explicitly_is_allowed",
             [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"Authorization"}); },
             preflight(kPartner, "GET", "authorization"))
            .allowed().headers("authorization"),
        Case("star_headers_with_credentials_never_echo_bare_star",
             [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"*"}).credentials(); },
             preflight(kPartner, "POST", "x-custom-header"))
            .allowed().headers("x-custom-header").credentials("true"),
        Case("star_header_requested_literally_is_not_a_wildcard",
             [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"X-Custom"}); }, preflight(kPartner, "POST", "*"))
            .refused(),
        Case("echoed_header_list_of_2048_bytes_is_allowed", any_header,
             preflight(kPartner, "POST", std::string(cors::kMaxAllowHeadersLength, 'x')))
            .allowed().headers(std::string(cors::kMaxAllowHeadersLength, 'x')),
        Case("echoed_header_list_of_2048_bytes_from_many_names_is_allowed", any_header,
             preflight(kPartner, "POST", list_echoing_to_the_limit().first))
            .allowed().headers(list_echoing_to_the_limit().second),
        Case("echoed_header_list_over_2048_bytes_fails", any_header,
             preflight(kPartner, "POST", std::string(cors::kMaxAllowHeadersLength + 1, 'x')))
            .rejected().some_reason().headers(""),
        Case("many_short_headers_over_the_bound_fail", any_header, preflight(kPartner, "POST", many_short_headers()))
            .rejected(),
        Case("thousands_of_commas_in_acrh_are_skipped",
             [](Scope& s) { s.allow_origin({kPartner}).allow_headers_({"X-A"}); },
             preflight(kPartner, "POST", std::string(100000, ',') + "x-a" + std::string(100000, ',')))
            .allowed().headers("x-a"),
        Case("origin_is_checked_before_method_and_headers", partner,
             preflight("https://evil.example", "PUT", "x-custom-header"))
            .refused().reason("origin not allowed"),
        Case("method_is_checked_before_headers", partner, preflight(kPartner, "PUT", "x-custom-header"))
            .reason("method not allowed: PUT"),
        Case("failed_preflight_by_origin_is_403_with_preflight_vary",
             [](Scope& s) {
                 s.allow_origin({kPartner}).credentials().expose_headers({"X-Total"}).max_age(600).private_network();
             },
             with_acrpn(preflight("https://evil.example", "GET"), "true"))
            .kind(RequestKind::Preflight).rejected().no_allow_headers().vary(kVaryPreflight),
        Case("failed_preflight_by_method_has_no_allow_headers",
             [](Scope& s) { s.allow_origin({kPartner}).credentials().max_age(600); }, preflight(kPartner, "DELETE"))
            .action(Action::Reject).no_allow_headers().vary(kVaryPreflight),
        Case("failed_preflight_by_origin_is_rejected_even_with_reject_off",
             [](Scope& s) { s.allow_origin({kPartner}).reject_off(); }, preflight("https://evil.example", "GET"))
            .action(Action::Reject),
        Case("failed_preflight_by_method_is_rejected_even_with_reject_off",
             [](Scope& s) { s.allow_origin({kPartner}).reject_off(); }, preflight(kPartner, "PUT"))
            .action(Action::Reject),
        Case("failed_preflight_is_rejected_even_in_pass_mode", [](Scope& s) { s.allow_origin({kPartner}).pass(); },
             preflight(kPartner, "GET", "x-not-allowed"))
            .rejected().no_allow_headers(),
        Case("pass_mode_lets_allowed_preflight_continue_with_headers",
             [](Scope& s) {
                 s.allow_origin({kPartner}).allow_methods({"PUT"}).allow_headers_({"X-Custom"}).max_age(60).pass();
             },
             preflight(kPartner, "PUT", "x-custom"))
            .kind(RequestKind::Preflight).allowed().action(Action::Continue).origin(kPartner).methods("PUT")
            .headers("x-custom").max_age("60").vary(kVaryPreflight),
        Case("max_age_zero_is_sent", [](Scope& s) { s.allow_origin({kPartner}).max_age(0); },
             preflight(kPartner, "GET"))
            .max_age("0"),
        Case("max_age_upper_bound_is_sent", [](Scope& s) { s.allow_origin({kPartner}).max_age(86400); },
             preflight(kPartner, "GET"))
            .max_age("86400"),
        Case("max_age_unset_sends_none", partner, preflight(kPartner, "GET")).allowed().max_age(""),
        Case("private_network_asked_and_allowed", [](Scope& s) { s.allow_origin({kPartner}).private_network(); },
             with_acrpn(preflight(kPartner, "GET"), "true"))
            .action(Action::AnswerPreflight).private_network("true"),
        Case("private_network_asked_but_off_is_answered_without_it", partner,
             with_acrpn(preflight(kPartner, "GET"), "true"))
            .answered().origin(kPartner).private_network(""),
        Case("private_network_allowed_but_not_asked_is_not_sent",
             [](Scope& s) { s.allow_origin({kPartner}).private_network(); }, preflight(kPartner, "GET"))
            .private_network(""),
        Case("private_network_allowed_but_asked_false_is_not_sent",
             [](Scope& s) { s.allow_origin({kPartner}).private_network(); },
             with_acrpn(preflight(kPartner, "GET"), "false"))
            .private_network(""),
        Case("static_any_preflight_answers_star",
             [](Scope& s) { s.allow_origin({"*"}).allow_methods({"PUT"}).allow_headers_({"Content-Type"}); },
             preflight("https://anyone.example", "PUT", "content-type"))
            .answered().origin("*").credentials("").methods("PUT").headers("content-type").vary(kVaryPreflight),
        Case("preflight_with_invalid_origin_fails",
             [](Scope& s) { s.allow_origin({"*"}).allow_methods({"*"}); }, preflight("https://partner.example:0", "GET"))
            .kind(RequestKind::Preflight).valid(false).rejected().reason(invalid(OriginError::BadPort))
            .vary(kVaryPreflight).no_allow_headers(),
        Case("preflight_from_null_origin_refused_under_star", any_origin, preflight("null", "GET")).rejected(),
        Case("preflight_from_null_origin_allowed_by_null_rule", [](Scope& s) { s.allow_origin({"null"}); },
             preflight("null", "GET"))
            .allowed().origin("null"),
        Case("preflight_allowed_by_pattern",
             [](Scope& s) { s.allow_match("@\\.partner\\.example$@i").allow_methods({"PUT"}); },
             preflight("https://API.partner.example", "PUT"))
            .allowed().origin("https://API.partner.example"),
    };
    for (const char* m : {"GET", "HEAD", "POST"})
        cases.push_back(Case(std::string("safelisted_methods_always_allowed_") + m, put_headers, preflight(kPartner, m))
                            .answered().methods(m));
    for (const char* m : {"PATCH", "PROPFIND", "purge"})
        cases.push_back(
            Case(std::string("star_methods_allow_any_method_") + m, any_method, preflight(kPartner, m)).allowed().methods(m));
    int n = 0;
    for (const char* m : {"PU T", "GET,PUT", "P\xc3\x9cT"})
        cases.push_back(Case("acrm_that_is_not_a_token_fails_the_preflight_" + std::to_string(++n), any_method,
                             preflight(kPartner, m))
                            .rejected().methods(""));
    n = 0;
    for (const char* h : {"x-ok, bad header", "x:y", "x-\xc3\xa9"})
        cases.push_back(Case("header_element_that_is_not_a_token_fails_" + std::to_string(++n), any_header,
                             preflight(kPartner, "POST", h))
                            .rejected().headers(""));
    return cases;
}
const std::vector<Case> kPreflight = preflight_cases();

}  // namespace

BOOST_AUTO_TEST_SUITE(decide_none_and_same_origin)
BOOST_DATA_TEST_CASE(rows, bdata::make(kNoneAndSameOrigin), c) { check(c); }
BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(decide_actual)

BOOST_DATA_TEST_CASE(rows, bdata::make(kActual), c) { check(c); }

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
    BOOST_TEST((d.reason == cors::Reason::None));
    BOOST_TEST(d.reason_detail.empty());
    BOOST_TEST(d.allow_methods.empty());
    BOOST_TEST(d.vary == cors::kVaryOrigin);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(decide_preflight)

BOOST_DATA_TEST_CASE(rows, bdata::make(kPreflight), c) { check(c); }

BOOST_AUTO_TEST_CASE(refusal_names_the_method) {
    Scope s;
    s.allow_origin({kPartner});
    Req r = preflight(kPartner, "PUT");
    Decision d;
    run(s, r, d);
    BOOST_TEST(d.reason_detail == "PUT");
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

// One row: a scope; how many errors and warnings check_policy() gives (unset: not
// checked; errors -1: at least one), and a word that one of them must contain.
struct PolicyCheck {
    std::string name;
    Setup setup;
    std::optional<int> errors, warnings;
    const char* error_word = nullptr;
    const char* warning_word = nullptr;
};
std::ostream& operator<<(std::ostream& os, const PolicyCheck& p) { return os << p.name; }

const std::vector<PolicyCheck> kPolicyChecks = {
    {"clean_policy_has_no_errors_or_warnings",
     [](Scope& s) {
         s.allow_origin({kPartner, "https://*.partner.example"}).allow_match("@^https://[a-z0-9-]+\\.partner\\.example$@i")
             .credentials().allow_methods({"PUT"}).allow_headers_({"X-A"}).max_age(600);
     },
     0, 0},
    {"empty_policy_has_no_errors", nothing, 0, 0},
    {"star_with_credentials_is_an_error_naming_directives", [](Scope& s) { s.allow_origin({"*"}).credentials(); },
     -1, {}, "CORSAllowOrigin"},
    {"star_without_credentials_is_fine", any_origin, 0, {}},
    {"unanchored_pattern_is_a_warning", [](Scope& s) { s.allow_match("#^https://partner\\.example#"); }, 0, 1,
     nullptr, "CORSAllowOriginMatch"},
    {"anchored_pattern_gives_no_warning",
     [](Scope& s) { s.allow_match("^https://.+\\.partner\\.example$").allow_match("/^https:\\/\\/a\\.example\\z/"); },
     {}, 0},
    {"http_origin_with_credentials_is_a_warning",
     [](Scope& s) { s.allow_origin({"http://partner.example"}).credentials(); }, 0, 1, nullptr, "http"},
    {"http_origin_without_credentials_is_not_a_warning", [](Scope& s) { s.allow_origin({"http://partner.example"}); },
     {}, 0},
    {"null_allowed_is_a_warning", [](Scope& s) { s.allow_origin({"null"}); }, 0, 1, nullptr, "null"},
    {"several_warnings_are_all_reported",
     [](Scope& s) { s.allow_origin({"null", "http://partner.example"}).allow_match("/partner/").credentials(); }, 0,
     4},
    {"the_seed_filter_allows_http", [](Scope& s) { s.allow_match("@\\.partner\\.domain\\.com$@").credentials(); },
     0, 1, nullptr, "http://x.partner.domain.com"},
};

BOOST_DATA_TEST_CASE(rows, bdata::make(kPolicyChecks), p) {
    Scope s;
    p.setup(s);
    Checked c(s);
    if (p.errors && *p.errors < 0) BOOST_TEST(c.errors.size() >= 1u);
    else if (p.errors) BOOST_TEST(c.errors.size() == static_cast<std::size_t>(*p.errors));
    if (p.warnings) BOOST_TEST(c.warnings.size() == static_cast<std::size_t>(*p.warnings));
    if (p.error_word) BOOST_TEST(Checked::any_contains(c.errors, p.error_word));
    if (p.warning_word) BOOST_TEST(Checked::any_contains(c.warnings, p.warning_word));
}

BOOST_AUTO_TEST_SUITE_END()

#include "decision.hpp"
#include "counterexample.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace cors {
namespace {


constexpr unsigned kVaryPreflight = kVaryOrigin | kVaryRequestMethod | kVaryRequestHeaders;

bool is_safelisted_method(std::string_view m) noexcept { return m == "GET" || m == "HEAD" || m == "POST"; }

void reset(Decision& d) noexcept {
    d.kind = RequestKind::None;
    d.origin_valid = true;
    d.allowed = true;
    d.action = Action::Continue;
    d.reason = Reason::None;
    d.reason_detail = {};
    d.allow_origin = d.allow_credentials = d.expose_headers = {};
    d.allow_methods = d.allow_headers = d.max_age = d.allow_private_network = {};
    d.vary = 0;
}

// Refuses: no Access-Control-Allow-* header, only Vary.
void refuse(Decision& d, const Policy& policy, Reason why, std::string_view detail = {}) noexcept {
    const RequestKind kind = d.kind;
    const bool valid = d.origin_valid;
    reset(d);
    d.kind = kind;
    d.origin_valid = valid;
    d.allowed = false;
    d.reason = why;
    d.reason_detail = detail;
    d.vary = kind == RequestKind::Preflight ? kVaryPreflight : unsigned{kVaryOrigin};
    d.action = (kind == RequestKind::Preflight || policy.reject) ? Action::Reject : Action::Continue;
}

// The answer's "static" headers: those every allowed response of the scope carries.
void allow(Decision& d, const Policy& policy, std::string_view origin) noexcept {
    d.allow_origin = policy.static_any() ? std::string_view("*") : origin;
    if (policy.credentials) d.allow_credentials = "true";
    if (policy.expose_headers) d.expose_headers = policy.expose_headers->joined();
    d.vary = policy.static_any() ? 0u : unsigned{kVaryOrigin};
}

// Matches a valid origin against the scope's rules and patterns, then its origin maps.
Reason origin_refusal(const Policy& policy, const Request& req, const Origin& origin,
                      std::string_view& detail) noexcept {
    const bool any_blocked = policy.credentials && policy.origins && policy.origins->any();
    if (policy.origins && policy.origins->allows(origin, !any_blocked)) return Reason::None;
    Reason why = any_blocked ? Reason::AnyWithCredentials : Reason::OriginNotAllowed;
    if (policy.patterns && !origin.opaque) {
        MatchResult r = policy.patterns->match(req.origin);
        if (r == MatchResult::Match) return Reason::None;
        if (r == MatchResult::LimitExceeded) why = Reason::MatchLimit;
        if (r == MatchResult::Error) why = Reason::MatchError;
    }
    if (policy.maps && !origin.opaque) {
        std::string_view unavailable;
        MapAnswer a = policy.maps->lookup(origin, unavailable);
        if (a == MapAnswer::Allowed) return Reason::None;
        if (a == MapAnswer::Unavailable && why == Reason::OriginNotAllowed) {
            detail = unavailable;
            return Reason::MapUnavailable;
        }
    }
    return why;
}

// A name "*" is a token, but echoing it would read as the wildcard: never allowed.
bool method_allowed(const Policy& policy, std::string_view method) noexcept {
    if (is_safelisted_method(method)) return true;
    if (method == "*") return false;
    return policy.methods && (policy.methods->any() || policy.methods->contains(method));
}

bool header_allowed(const Policy& policy, std::string_view name) noexcept {
    const NameList* allowed = policy.allow_headers;
    if (!allowed || name == "*") return false;
    if (allowed->contains(name)) return true;
    return allowed->any() && !iequals(name, "authorization");
}

// header_allowed() for a name already in lower case: no case folding per comparison.
bool lower_header_allowed(const Policy& policy, std::string_view lower) noexcept {
    const NameList* allowed = policy.allow_headers;
    if (!allowed || lower == "*") return false;
    if (allowed->contains_lower(lower)) return true;
    return allowed->any() && lower != "authorization";
}

// Checks the preflight's method and headers and fills the preflight-only headers.
void decide_preflight(const Policy& policy, const Request& req, Decision& d) noexcept {
    if (!is_token(req.acrm)) return refuse(d, policy, Reason::InvalidMethod, req.acrm);
    if (!method_allowed(policy, req.acrm)) return refuse(d, policy, Reason::MethodNotAllowed, req.acrm);

    char* const buf = d.buffer_;
    std::size_t len = 0;
    Reason failure = Reason::None;
    std::string_view failed_name;
    for_each_list_element(req.acrh, [&](std::string_view name) {
        // Folded once, into its place in the echo, then compared as it is.
        const std::size_t at = len + (len ? 2 : 0);
        if (!is_token(name)) {
            failure = Reason::InvalidHeaders;
        } else if (at + name.size() > kMaxAllowHeadersLength) {
            failure = header_allowed(policy, name) ? Reason::HeadersTooLong : Reason::HeaderNotAllowed;
        } else {
            for (std::size_t i = 0; i < name.size(); ++i) buf[at + i] = to_lower_ascii(name[i]);
            if (!lower_header_allowed(policy, std::string_view(buf + at, name.size())))
                failure = Reason::HeaderNotAllowed;
        }
        if (failure != Reason::None) {
            failed_name = name;
            return false;
        }
        if (len) {
            buf[len] = ',';
            buf[len + 1] = ' ';
        }
        len = at + name.size();
        return true;
    });
    if (failure != Reason::None) return refuse(d, policy, failure, failed_name);

    d.allow_methods = req.acrm;
    if (len) d.allow_headers = std::string_view(buf, len);
    if (policy.max_age >= 0) {
        char* first = buf + len;
        auto [end, ec] = std::to_chars(first, d.buffer_ + sizeof d.buffer_, policy.max_age);
        if (ec == std::errc()) d.max_age = std::string_view(first, static_cast<std::size_t>(end - first));
    }
    if (policy.private_network && req.acrpn == "true") d.allow_private_network = "true";
    d.vary = kVaryPreflight;
    d.action = policy.preflight == PreflightMode::Handle ? Action::AnswerPreflight : Action::Continue;
}

}  // namespace

bool Policy::static_any() const noexcept { return origins && origins->any() && !credentials; }

const char* to_string(RequestKind k) noexcept {
    switch (k) {
        case RequestKind::None: return "none";
        case RequestKind::SameOrigin: return "same-origin";
        case RequestKind::Actual: return "actual";
        case RequestKind::Preflight: return "preflight";
    }
    return "none";
}

const char* to_string(Reason r) noexcept {
    switch (r) {
        case Reason::None: return "";
        case Reason::InvalidOrigin: return "invalid origin";
        case Reason::OriginNotAllowed: return "origin not allowed";
        case Reason::AnyWithCredentials: return "CORSAllowOrigin * is not allowed with credentials";
        case Reason::MatchLimit: return "pattern match limit exceeded";
        case Reason::MatchError: return "pattern match failed";
        case Reason::InvalidMethod: return "invalid Access-Control-Request-Method";
        case Reason::MethodNotAllowed: return "method not allowed";
        case Reason::InvalidHeaders: return "invalid Access-Control-Request-Headers";
        case Reason::HeaderNotAllowed: return "header not allowed";
        case Reason::HeadersTooLong: return "Access-Control-Request-Headers too long";
        case Reason::MapUnavailable: return "origin map unavailable";
    }
    return "";
}

namespace {
std::size_t detail_length(const Decision& d) noexcept { return std::min(d.reason_detail.size(), kReasonDetailMax); }
}  // namespace

std::size_t reason_length(const Decision& d) noexcept {
    const std::size_t n = std::strlen(to_string(d.reason));
    return d.reason_detail.empty() ? n : n + 2 + detail_length(d);
}

void write_reason(const Decision& d, char* out) noexcept {
    const char* text = to_string(d.reason);
    const std::size_t n = std::strlen(text);
    std::memcpy(out, text, n);
    if (!d.reason_detail.empty()) {
        std::memcpy(out + n, ": ", 2);
        std::memcpy(out + n + 2, d.reason_detail.data(), detail_length(d));
    }
    out[reason_length(d)] = '\0';
}

std::string reason_text(const Decision& d) {
    std::string s(reason_length(d), '\0');
    write_reason(d, s.data());  // writes its NUL over the string's own
    return s;
}

namespace {

// `origin` is on `hostname` (IPv6 without its brackets) and `port`, over the request's scheme.
bool on_host_and_port(const Origin& origin, std::string_view scheme, std::string_view hostname,
                      std::uint16_t port) noexcept {
    if (!iequals(origin.scheme, scheme) || origin.port != port) return false;
    if (hostname.find(':') == std::string_view::npos) return iequals(origin.host, hostname);
    return origin.host.size() == hostname.size() + 2 && origin.host.front() == '[' && origin.host.back() == ']' &&
           iequals(origin.host.substr(1, hostname.size()), hostname);
}

}  // namespace

bool is_own_origin(const Request& req, const Origin& origin) noexcept {
    if (origin.opaque) return false;
    const bool has_host = !req.host.empty();
    if (has_host && req.named_scheme && !req.hostname.empty())
        return on_host_and_port(origin, req.scheme, req.hostname,
                                req.server_port ? req.server_port : default_port(req.scheme));
    if (has_host) return same_origin_as_host(origin, req.scheme, req.host);
    return !req.hostname.empty() && on_host_and_port(origin, req.scheme, req.hostname, req.local_port);
}

namespace {

// The kind of a request with an Origin, once the Origin is parsed.
RequestKind kind_of(const Request& req, const Origin& origin, OriginError origin_error) noexcept {
    if (origin_error == OriginError::None && is_own_origin(req, origin))
        return RequestKind::SameOrigin;
    return (req.method == "OPTIONS" && req.has_acrm) ? RequestKind::Preflight : RequestKind::Actual;
}

}  // namespace

RequestKind classify(const Request& req, Origin& origin, OriginError& origin_error) noexcept {
    origin = Origin{};
    origin_error = OriginError::None;
    if (!req.has_origin) return RequestKind::None;
    origin_error = req.origin_count > 1 ? OriginError::Several : parse_origin(req.origin, origin);
    return kind_of(req, origin, origin_error);
}

void decide(const Policy& policy, const Request& req, Decision& d) noexcept {
    reset(d);
    Origin origin;
    OriginError origin_error = OriginError::None;
    // An Origin that is byte for byte an exact rule's serialisation (what browsers send)
    // is valid and allowed: the rules hold it parsed, no need to parse it again.
    const bool one_origin = req.has_origin && req.origin_count <= 1;
    const std::size_t hash = one_origin && (policy.origins || policy.maps) ? OriginRules::hash_of(req.origin) : 0;
    bool listed = one_origin && policy.origins && policy.origins->find_serialised(req.origin, hash, origin);
    // The same for a map's origin, from memory only (a set, a cached answer).
    if (!listed && one_origin && policy.maps) listed = policy.maps->lists_serialised(req.origin, hash, origin);
    d.kind = listed ? kind_of(req, origin, origin_error) : classify(req, origin, origin_error);

    if (d.kind == RequestKind::None || d.kind == RequestKind::SameOrigin) {
        if (policy.static_any()) allow(d, policy, {});
        else d.vary = kVaryOrigin;
        return;
    }
    if (origin_error != OriginError::None) {
        d.origin_valid = false;
        return refuse(d, policy, Reason::InvalidOrigin, describe(origin_error));
    }
    std::string_view detail;
    if (const Reason why = listed ? Reason::None : origin_refusal(policy, req, origin, detail); why != Reason::None)
        return refuse(d, policy, why, detail);

    allow(d, policy, req.origin);
    if (d.kind == RequestKind::Preflight) decide_preflight(policy, req, d);
}

std::string_view vary_value(unsigned bits) noexcept {
    static constexpr std::string_view kValues[8] = {
        "",
        "Origin",
        "Access-Control-Request-Method",
        "Origin, Access-Control-Request-Method",
        "Access-Control-Request-Headers",
        "Origin, Access-Control-Request-Headers",
        "Access-Control-Request-Method, Access-Control-Request-Headers",
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    };
    return kValues[bits & 7u];
}

void check_policy_errors(const Policy& policy, std::vector<std::string>& errors) {
    const OriginRules* origins = policy.origins;
    if (origins && origins->any() && policy.credentials)
        errors.emplace_back(
            "CORSAllowOrigin * cannot be combined with CORSAllowCredentials On: browsers refuse "
            "credentials with \"*\", and echoing any origin with credentials lets every site read "
            "the user's data; list the partner origins instead");
}

void check_policy(const Policy& policy, std::vector<std::string>& errors, std::vector<std::string>& warnings) {
    check_policy_errors(policy, errors);
    const OriginRules* origins = policy.origins;
    // What the policy really allows: attacker-controllable origins tried on every pattern
    // and listed origin (counterexample.hpp), each warning with a concrete origin and the fix.
    Intent intent;
    intent.credentials = policy.credentials;
    if (origins) intent.listed = origins->listed();
    for (const std::string& spec : intent.listed)
        for (const Counterexample& c : counterexamples_of_origin(spec, intent))
            warnings.push_back(describe("CORSAllowOrigin", spec, c));
    if (policy.patterns)
        for (const auto& pattern : policy.patterns->patterns())
            for (const Counterexample& c : counterexamples(*pattern, intent))
                warnings.push_back(describe("CORSAllowOriginMatch", pattern->source(), c));
    if (policy.credentials && policy.expose_headers && policy.expose_headers->any())
        warnings.emplace_back(
            "CORSExposeHeaders * with CORSAllowCredentials On: browsers read \"*\" as a header name "
            "when credentials are included; list the headers instead");
}

}  // namespace cors

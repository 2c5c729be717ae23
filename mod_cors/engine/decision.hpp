// Classification of a request and the CORS decision for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "origin.hpp"
#include "origin_map.hpp"
#include "pattern.hpp"
#include "rules.hpp"

namespace cors {

enum class PreflightMode { Handle, Pass };

// The effective (merged) policy of a scope. Pointers are owned by the
// configuration and may be null ("not configured").
struct Policy {
    const OriginRules* origins = nullptr;
    const PatternList* patterns = nullptr;
    const NameList* methods = nullptr;         // null: GET HEAD POST
    const NameList* allow_headers = nullptr;   // null: none
    const NameList* expose_headers = nullptr;  // null: none
    bool credentials = false;
    int max_age = -1;                          // -1: unset, no header
    bool private_network = false;
    PreflightMode preflight = PreflightMode::Handle;
    bool reject = true;
    bool report_only = false;
    bool override_app_headers = true;
    const OriginOracle* maps = nullptr;        // CORSAllowOriginMap; null: none

    // "CORSAllowOrigin *" without credentials: the answer is a static "*".
    bool static_any() const noexcept;
};

// What the glue reads off the request. All views must outlive the decision; origin and
// acrm must be whole NUL-terminated strings (a decision echoes them as they are).
struct Request {
    std::string_view method;
    bool has_origin = false;
    std::string_view origin;          // the Origin value as received
    int origin_count = 0;             // number of Origin header lines
    // Where the request was sent, for its own origin (is_own_origin):
    std::string_view scheme;          // "http" or "https": ServerName's scheme when it names one, else the connection's
    std::string_view host;            // the Host header's value (host[:port]); empty: none
    std::string_view hostname;        // the host name the server settled on, IPv6 without brackets; empty: none
    bool named_scheme = false;        // ServerName names a scheme (https://host[:port], behind a TLS proxy)
    std::uint16_t server_port = 0;    // ServerName's port; 0: the scheme's default
    std::uint16_t local_port = 0;     // the port the connection reached
    bool has_acrm = false;
    std::string_view acrm;            // Access-Control-Request-Method
    std::string_view acrh;            // Access-Control-Request-Headers, all lines joined by ", "
    std::string_view acrpn;           // Access-Control-Request-Private-Network
};

// What the request is (CORS_REQUEST). The text of each value is made by to_string() only.
enum class RequestKind : unsigned char { None, SameOrigin, Actual, Preflight };
constexpr std::size_t kRequestKinds = 4;
const char* to_string(RequestKind k) noexcept;  // "none", "same-origin", "actual", "preflight"

// Why a request is not allowed (CORS_REASON, the counters by reason, CORS-Reason). None:
// allowed. The text of each value is made by to_string() only; a refusal may add a detail
// (the method, the header name, what is wrong with the origin, the map's name).
enum class Reason : unsigned char {
    None,
    InvalidOrigin,       // "invalid origin"
    OriginNotAllowed,    // "origin not allowed"
    AnyWithCredentials,  // "CORSAllowOrigin * is not allowed with credentials"
    MatchLimit,          // "pattern match limit exceeded"
    MatchError,          // "pattern match failed"
    InvalidMethod,       // "invalid Access-Control-Request-Method"
    MethodNotAllowed,    // "method not allowed"
    InvalidHeaders,      // "invalid Access-Control-Request-Headers"
    HeaderNotAllowed,    // "header not allowed"
    HeadersTooLong,      // "Access-Control-Request-Headers too long"
    MapUnavailable,      // "origin map unavailable"
};
constexpr std::size_t kReasons = static_cast<std::size_t>(Reason::MapUnavailable) + 1;
const char* to_string(Reason r) noexcept;  // "" for None

// At most this many bytes of a refusal's detail go into its text.
constexpr std::size_t kReasonDetailMax = 200;

// What the glue does with the request.
enum class Action {
    Continue,         // let it go on; add the headers below to whatever response it gets
    AnswerPreflight,  // answer 204 now with the headers below; the application never runs
    Reject,           // answer 403 now (ErrorDocument applies), with Vary only
};

enum VaryBits : unsigned {
    kVaryOrigin = 1u,
    kVaryRequestMethod = 2u,
    kVaryRequestHeaders = 4u,
};

// Longest Access-Control-Allow-Headers value the module will echo.
constexpr std::size_t kMaxAllowHeadersLength = 2048;

struct Decision {
    RequestKind kind = RequestKind::None;
    bool origin_valid = true;
    bool allowed = true;                  // CORS_ALLOWED
    Action action = Action::Continue;
    Reason reason = Reason::None;         // CORS_REASON (None when allowed)
    std::string_view reason_detail;       // the offending method or header name, if any

    // Response headers; an empty view means "do not send". Two kinds of view, fixed per
    // field: "whole" is a whole NUL-terminated string that lives as long as the policy or
    // the request (a literal, the policy's, Request::origin or Request::acrm), which a
    // caller may keep as it is; "buffer" points into buffer_, without a NUL, and must be
    // copied to outlive the Decision.
    std::string_view allow_origin;           // whole
    std::string_view allow_credentials;      // whole
    std::string_view expose_headers;         // whole
    std::string_view allow_methods;          // whole
    std::string_view allow_headers;          // buffer
    std::string_view max_age;                // buffer
    std::string_view allow_private_network;  // whole
    unsigned vary = 0;                    // VaryBits

    Decision() = default;
    Decision(const Decision&) = delete;   // views may point into buffer_
    Decision& operator=(const Decision&) = delete;

    char buffer_[kMaxAllowHeadersLength + 16];
};

// CORS_REASON: the reason's text and, when there is one, ": " and at most
// kReasonDetailMax bytes of its detail. reason_length() is its length; write_reason()
// writes it and a NUL into `out`, which has room for reason_length() + 1 bytes.
std::size_t reason_length(const Decision& d) noexcept;
void write_reason(const Decision& d, char* out) noexcept;
std::string reason_text(const Decision& d);

// True when `origin` (valid) is the request's own origin. With a Host header: the
// scheme, the Host's host and port (a missing port being the scheme's default); but
// when ServerName names a scheme (`ServerName https://host[:port]`, a TLS-terminating
// proxy in front), the port is ServerName's, since the one in Host is the proxy's
// client-facing one or none. Without a Host header (HTTP/1.0): the host name the server
// settled on and the port the connection reached. X-Forwarded-* is never read.
bool is_own_origin(const Request& req, const Origin& origin) noexcept;

// Classifies the request (RequestKind; origin validity) without any policy.
RequestKind classify(const Request& req, Origin& origin, OriginError& origin_error) noexcept;

// Decides; never throws. Allocates nothing on the heap itself; a CORSAllowOriginMatch
// pattern may, for that match alone (see Pattern: matched without JIT, or a JIT match
// that outgrows PCRE2's machine stack). In report-only mode the decision is the one
// that would apply (the glue logs it and changes nothing).
void decide(const Policy& policy, const Request& req, Decision& out) noexcept;

// The Vary tokens for `bits`, e.g. "Origin, Access-Control-Request-Method, ...".
std::string_view vary_value(unsigned bits) noexcept;

// Configuration checks that need the whole scope. `errors` make start-up fail;
// `warnings` are logged. Texts name the directive concerned.
void check_policy(const Policy& policy, std::vector<std::string>& errors,
                  std::vector<std::string>& warnings);

// check_policy's errors only: cheap (no counterexamples), for a check after each directive
// (a scope of 100,000 listed origins is checked 100,000 times while it is read).
void check_policy_errors(const Policy& policy, std::vector<std::string>& errors);

}  // namespace cors

// Classification of a request and the CORS decision for it.
#pragma once

#include <cstddef>
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

// What the glue reads off the request. All views must outlive the decision.
struct Request {
    std::string_view method;
    bool has_origin = false;
    std::string_view origin;          // the Origin value as received
    int origin_count = 0;             // number of Origin header lines
    std::string_view scheme;          // "http" or "https" of the connection
    std::string_view host;            // the Host the request was sent to (host[:port])
    bool has_acrm = false;
    std::string_view acrm;            // Access-Control-Request-Method
    std::string_view acrh;            // Access-Control-Request-Headers, all lines joined by ", "
    std::string_view acrpn;           // Access-Control-Request-Private-Network
};

enum class RequestKind { None, SameOrigin, Actual, Preflight };
const char* to_string(RequestKind k) noexcept;  // "none", "same-origin", "actual", "preflight"

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
    const char* reason = "";              // CORS_REASON, static text ("" when allowed)
    std::string_view reason_detail;       // the offending method or header name, if any

    // Response headers; an empty view means "do not send". allow_headers and max_age may
    // point into buffer_; every other one is a whole NUL-terminated string: a literal, the
    // policy's, or the request's own value (Request::origin, Request::acrm).
    std::string_view allow_origin;
    std::string_view allow_credentials;
    std::string_view expose_headers;
    std::string_view allow_methods;
    std::string_view allow_headers;
    std::string_view max_age;
    std::string_view allow_private_network;
    unsigned vary = 0;                    // VaryBits

    Decision() = default;
    Decision(const Decision&) = delete;   // views may point into buffer_
    Decision& operator=(const Decision&) = delete;

    char buffer_[kMaxAllowHeadersLength + 16];
};

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

}  // namespace cors

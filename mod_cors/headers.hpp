// The decision of one request as the response needs it, and the output filter that puts
// it on the response: the CORS headers, Vary, the application's own Access-Control-*
// headers removed.
#pragma once

#include "config.hpp"

#include "util_filter.h"

namespace cors_glue {

// The decision of one request, as the output filter, the log and the counters need it.
// The header values are pool strings or the decision's whole strings (cors::Decision).
struct State {
    const DirConfig* conf;  // the scope it was made in
    cors::Action action;
    cors::RequestKind kind;
    cors::Reason reason;    // None when allowed
    bool report_only;       // decided and logged only; the response is left alone
    bool override_app;
    unsigned vary;
    const char* allow_origin;
    const char* allow_credentials;
    const char* expose_headers;
    const char* allow_methods;
    const char* allow_headers;
    const char* max_age;
    const char* allow_private_network;
    const char* origin;       // the Origin value; NULL without one
    const char* reason_text;  // CORS_REASON (cors::write_reason); NULL when allowed
    const request_rec* filtered;  // the request whose output chain has the headers filter

    bool refused() const noexcept { return reason != cors::Reason::None; }
};

// The decision of a request, kept in its request_config.
State* state_of(const request_rec* r);
void set_state(request_rec* r, State* state);

// Registers the filter (register_hooks) and adds it to a response's output chain.
void register_headers_filter();
void add_headers_filter(request_rec* r, State* s);

}  // namespace cors_glue

// mod_cors: the Apache httpd glue. It reads the configuration into the engine's
// types, turns a request_rec into a cors::Request, and a cors::Decision back into
// headers, an early 204 or a 403. All CORS logic lives in engine/.


#include "headers.hpp"
#include "origin_maps.hpp"
#include "status.hpp"
#include "policy_view.hpp"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_tables.h"

#include <algorithm>
#include <cstring>

using namespace cors_glue;

namespace {

constexpr std::size_t kLoggedOriginMax = 200;        // bytes of an Origin value in a log line

// first and how many: a module or HTTP/2 may keep them apart; HTTP/1 lines arrive joined
// with ", ", which no origin is) and the first Host line.
struct HeaderLines {
    const char* origin = nullptr;
    int origin_count = 0;
    const char* host = nullptr;
};

// True when `name` past its first letter is `rest` (lower-case letters), ignoring case.
inline bool rest_is(const char* name, std::string_view rest) noexcept {
    for (std::size_t i = 0; i < rest.size(); ++i)
        if ((name[i + 1] | 0x20) != rest[i]) return false;  // a NUL or a shorter name stops here
    return name[rest.size() + 1] == '\0';
}

HeaderLines header_lines(const apr_table_t* headers) {
    HeaderLines lines;
    const apr_array_header_t* arr = apr_table_elts(headers);
    const auto* e = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
    for (int i = 0; i < arr->nelts; ++i) {
        const char* key = e[i].key;
        if (!key) continue;
        const char first = static_cast<char>(key[0] | 0x20);  // most names end here
        if (first == 'o' && rest_is(key, "rigin")) {
            if (!lines.origin_count++) lines.origin = e[i].val;
        } else if (first == 'h' && !lines.host && rest_is(key, "ost")) {
            lines.host = e[i].val;
        }
    }
    return lines;
}

cors::Request request_view(request_rec* r) {
    cors::Request q;
    q.method = or_empty(r->method);
    const HeaderLines lines = header_lines(r->headers_in);
    q.has_origin = lines.origin_count > 0;
    if (!q.has_origin) return q;
    q.origin = or_empty(lines.origin);
    q.origin_count = lines.origin_count;
    // Where it was sent: the engine decides what the request's own origin is (is_own_origin).
    q.scheme = ap_http_scheme(r);
    q.host = or_empty(lines.host);
    q.hostname = or_empty(r->hostname);
    q.named_scheme = r->server->server_scheme != nullptr;
    q.server_port = r->server->port;
    q.local_port = r->connection->local_addr ? r->connection->local_addr->port : 0;
    if (r->method_number != M_OPTIONS) return q;  // the rest only matters to a preflight
    const char* acrm = apr_table_get(r->headers_in, "Access-Control-Request-Method");
    q.has_acrm = acrm != nullptr;
    if (acrm) q.acrm = acrm;
    const char* acrh = apr_table_getm(r->pool, r->headers_in, "Access-Control-Request-Headers");
    if (acrh) q.acrh = acrh;
    const char* acrpn = apr_table_get(r->headers_in, "Access-Control-Request-Private-Network");
    if (acrpn) q.acrpn = acrpn;
    return q;
}

// A decision's header value for the State. "Whole" views (cors::Decision says which) are
// whole NUL-terminated strings that outlive the request, used as they are; "buffer" views
// point into the decision and are copied.
inline const char* whole(std::string_view v) noexcept { return v.empty() ? nullptr : v.data(); }
inline const char* copied(apr_pool_t* p, std::string_view v) {
    return v.empty() ? nullptr : apr_pstrmemdup(p, v.data(), v.size());
}

State* make_state(request_rec* r, const DirConfig* conf, const cors::Policy& policy, const cors::Request& q,
                  const cors::Decision& d) {
    auto* s = static_cast<State*>(apr_pcalloc(r->pool, sizeof(State)));
    s->conf = conf;
    s->action = d.action;
    s->kind = d.kind;
    s->reason = d.allowed ? cors::Reason::None : d.reason;
    s->report_only = policy.report_only;
    s->override_app = policy.override_app_headers;
    s->vary = d.vary;
    s->allow_origin = whole(d.allow_origin);
    s->allow_credentials = whole(d.allow_credentials);
    s->expose_headers = whole(d.expose_headers);
    s->allow_methods = whole(d.allow_methods);
    s->allow_headers = copied(r->pool, d.allow_headers);
    s->max_age = copied(r->pool, d.max_age);
    s->allow_private_network = whole(d.allow_private_network);
    s->origin = q.has_origin ? q.origin.data() : nullptr;  // the Origin header's value (request_view)
    if (s->refused()) {
        char* text = static_cast<char*>(apr_palloc(r->pool, cors::reason_length(d) + 1));
        cors::write_reason(d, text);
        s->reason_text = text;
    }
    return s;
}

// The decision as request notes (a LogFormat's %{CORS_REASON}n) and, with CORSExportEnv On,
// as environment variables. Added, not set: a request gets them once (an internal
// redirect's new request has fresh notes and its variables renamed REDIRECT_CORS_*; the
// one decided again after mod_dir has them unset first).
constexpr const char* kNames[] = {"CORS_REQUEST", "CORS_ORIGIN", "CORS_ALLOWED", "CORS_REASON"};

void add_decision(apr_table_t* t, const State* s) {
    apr_table_addn(t, kNames[0], cors::to_string(s->kind));
    if (s->origin) apr_table_addn(t, kNames[1], s->origin);
    apr_table_addn(t, kNames[2], s->refused() ? "0" : "1");
    if (s->reason_text) apr_table_addn(t, kNames[3], s->reason_text);
}

void keep_decision(request_rec* r, const State* s) {
    add_decision(r->notes, s);
    if (flag_or_default(s->conf->export_env, CORS_DEFAULT_Off) == 1) add_decision(r->subprocess_env, s);
}

void forget_decision(request_rec* r) {
    for (const char* name : kNames) {
        apr_table_unset(r->notes, name);
        apr_table_unset(r->subprocess_env, name);
    }
}

const char* action_name(const State* s) {
    if (s->report_only) return s->refused() ? "would refuse (report only)" : "would allow (report only)";
    switch (s->action) {
        case cors::Action::AnswerPreflight: return "answered with 204";
        case cors::Action::Reject: return "refused with 403";
        case cors::Action::Continue: break;
    }
    return s->refused() ? "not allowed, passed on without CORS headers" : "allowed";
}

// One line per decision. httpd escapes error-log lines itself; the values are only capped.
void log_decision(request_rec* r, const State* s) {
    const int level = s->refused() ? APLOG_INFO : APLOG_DEBUG;
    if (!APLOG_R_IS_LEVEL(r, level)) return;
    const char* method = or_dash(r->method);
    const char* uri = or_dash(r->uri);
    if (!s->origin) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "%s %s: no Origin header, not a CORS request", method, uri);
        return;
    }
    const int origin_length = static_cast<int>(std::min(strlen(s->origin), kLoggedOriginMax));
    ap_log_rerror(APLOG_MARK, level, 0, r, "%s %s: %s request from origin '%.*s' %s%s%s", method, uri,
                  cors::to_string(s->kind), origin_length, s->origin, action_name(s), s->reason_text ? ": " : "",
                  s->reason_text ? s->reason_text : "");
}

// Decides in the request's scope, keeps CORS_* and logs. Null when CORSEngine is not On.
State* decide_in_scope(request_rec* r) {
    const DirConfig* conf = dir_config(r);
    if (!engine_on(conf)) return nullptr;
    cors::Policy policy = policy_of(conf);
    const cors_maps::RequestOracle maps(r, conf->maps, policy);  // sets policy.maps
    const cors::Request q = request_view(r);
    cors::Decision d;
    cors::decide(policy, q, d);
    State* s = make_state(r, conf, policy, q, d);
    keep_decision(r, s);
    log_decision(r, s);
    set_state(r, s);
    return s;
}

// An ErrorDocument page: httpd redirects internally with the failed request's status.
bool is_error_document(const request_rec* r) { return r->prev && ap_is_HTTP_ERROR(r->status); }

// An ErrorDocument page keeps the decision of the request that failed; when that one was
// answered before header_parser (a Redirect in <Location>, a 414), it is made now, for
// the headers only.
State* inherited_decision(request_rec* r) {
    request_rec* first = r;
    State* s = nullptr;
    for (request_rec* q = r->prev; q && !s; q = q->prev) {
        s = state_of(q);
        first = q;
    }
    if (!s && first != r) s = decide_in_scope(first);
    if (s) {
        set_state(r, s);
        keep_decision(r, s);
    }
    return s;
}

// Acts on a decision made before the handler: answers a preflight, refuses a stranger.
int act_on(request_rec* r, const State* s) {
    if (!s || s->report_only) return DECLINED;
    switch (s->action) {
        case cors::Action::AnswerPreflight:
            // Answered here; the filters a handler would get (ours, mod_headers'
            // "Header always" ...) still shape the 204.
            r->status = HTTP_NO_CONTENT;
            ap_run_insert_filter(r);
            return DONE;
        case cors::Action::Reject:
            return HTTP_FORBIDDEN;
        case cors::Action::Continue:
            break;
    }
    return DECLINED;
}

template <class Body>
int guarded_hook(request_rec* r, Body&& body) noexcept {
    try {
        return body();
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "CORS decision failed: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "CORS decision failed");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

// After the per-directory merge, before authentication: a preflight gets its 204 even
// where the actual request needs a login. Subrequests decide nothing (their main request
// does); an internal redirect other than an ErrorDocument (a front controller's
// RewriteRule, mod_actions) is decided in its target's scope.
extern "C" int header_parser(request_rec* r) {
    return guarded_hook(r, [&] {
        if (r->main) return DECLINED;
        if (is_error_document(r)) {
            inherited_decision(r);
            return DECLINED;
        }
        return act_on(r, decide_in_scope(r));
    });
}

// The last fixup, after mod_dir's (DirectoryIndex moves the request into the index
// file's scope, with ap_internal_fast_redirect): decided again where the scope changed.
// A per-directory RewriteRule's target is decided by its own header_parser.
extern "C" int fixups(request_rec* r) {
    return guarded_hook(r, [&] {
        if (r->main || is_error_document(r)) return DECLINED;
        const State* s = state_of(r);
        const DirConfig* conf = dir_config(r);
        if (s ? s->conf == conf : !engine_on(conf)) return DECLINED;
        if (r->handler && !strcmp(r->handler, "redirect-handler")) return DECLINED;
        if (s) {
            set_state(r, nullptr);
            forget_decision(r);
        }
        return act_on(r, decide_in_scope(r));
    });
}

// Adds the headers filter for the response about to be made (once per output chain).
extern "C" void insert_filter(request_rec* r) {
    State* s = state_of(r);
    if (!s || r->main || s->report_only || s->filtered == r) return;
    add_headers_filter(r, s);
    s->filtered = r;
}

// An error page. The request that failed may have been answered before header_parser
// (a Redirect in <Location>, or a request httpd could not read: 400, 414, ...): decide
// now, for the headers only; it refuses nothing.
extern "C" void insert_error_filter(request_rec* r) {
    try {
        if (!state_of(r) && !r->main && !(r->prev && inherited_decision(r))) decide_in_scope(r);
        if (State* s = state_of(r)) s->filtered = nullptr;  // httpd starts the error page's chain afresh
        insert_filter(r);
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "could not decide on the CORS headers");
    }
}

// ---------------------------------------------------------------- start-up

// At a real start (not the first, configuration-only pass): the counters' shared memory,
// then the warnings and summaries of the scopes into the error log.
int post_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*, server_rec* s) {
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    cors_status::init(pconf, s);  // the counters in server-status, when mod_status is loaded
    try {
        log_scopes(s);
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "start-up checks failed: %s", e.what());
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

// The counters in server-status (status.cpp): the final decision of each request, counted
// once when the request is logged (subrequests are not; an ErrorDocument page or an
// internal redirect is part of the request it serves).
extern "C" int log_transaction(request_rec* r) {
    if (!cors_status::enabled()) return DECLINED;
    const request_rec* last = r;
    while (last->next) last = last->next;
    if (const State* s = state_of(last)) cors_status::count(r, s->kind, s->reason, s->reason_text, s->report_only, s->origin);
    return DECLINED;
}

// `apachectl -t -D DUMP_CORS`: what each scope of the main configuration gets (policy_view.cpp).
extern "C" void test_config(apr_pool_t* pconf, server_rec* s) {
    try {
        view_dump(pconf, s);
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "DUMP_CORS failed: %s", e.what());
    }
}

extern "C" void register_hooks(apr_pool_t* p) {
    cors_status::register_hooks(p);
    cors_maps::register_hooks(p);
    ap_hook_pre_config(pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_test_config(test_config, nullptr, nullptr, APR_HOOK_MIDDLE);  // -D DUMP_CORS
    ap_hook_post_config(post_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_header_parser(header_parser, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_fixups(fixups, nullptr, nullptr, APR_HOOK_REALLY_LAST);
    ap_hook_insert_filter(insert_filter, nullptr, nullptr, APR_HOOK_REALLY_LAST);
    ap_hook_insert_error_filter(insert_error_filter, nullptr, nullptr, APR_HOOK_REALLY_LAST);
    // Before mod_log_config's: once a request is in the access log, it is counted.
    ap_hook_log_transaction(log_transaction, nullptr, nullptr, APR_HOOK_FIRST);
    register_headers_filter();
}

}  // namespace


extern "C" {
// The one symbol the DSO exports (the build hides all others).
__attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA cors_module = {
    STANDARD20_MODULE_STUFF,
    create_dir_config,
    merge_dir_config,
    cors_maps::create_server_config,
    cors_maps::merge_server_config,
    directives,
    register_hooks,
    AP_MODULE_FLAG_NONE,
};
}

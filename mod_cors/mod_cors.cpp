// mod_cors: the request hooks of the Apache httpd glue. They decide which request is
// decided in which scope, turn a request_rec into a cors::Request and a cors::Decision into
// an early 204, a 403 or the state the headers filter (headers.cpp) writes. The directives
// are read in config.cpp; all CORS logic lives in engine/.

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

// What every decision reads of the request headers, in one pass: the Origin lines (the
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
    q.named_scheme = r->server->server_scheme != nullptr;
    if (q.named_scheme || !lines.host) {  // only then does the engine look at them
        q.hostname = or_empty(r->hostname);
        q.server_port = r->server->port;
        q.local_port = r->connection->local_addr ? r->connection->local_addr->port : 0;
    }
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
    if (setting(s->conf, &DirConfig::export_env) == 1) add_decision(r->subprocess_env, s);
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
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, CORS_LOGNO(00102) "%s %s: no Origin header, not a CORS request",
                      method, uri);
        return;
    }
    const int origin_length = static_cast<int>(std::min(strlen(s->origin), kLoggedOriginMax));
    ap_log_rerror(APLOG_MARK, level, 0, r, CORS_LOGNO(00101) "%s %s: %s request from origin '%.*s' %s%s%s", method,
                  uri, cors::to_string(s->kind), origin_length, s->origin, action_name(s), s->reason_text ? ": " : "",
                  s->reason_text ? s->reason_text : "");
}

// ------------------------------------------------- which request decides, in which scope

// A scope configures CORS when some scope merged into it set a CORS directive: `where`, noted
// by a scope's first directive, is merged as every other pointer.
bool configures_cors(const DirConfig* c) noexcept { return c && c->where; }

// Every main request whose decision has been made (or inherited), including a decision of
// "no CORS": an ErrorDocument page then takes it as it is instead of deciding anew. A
// decision is its State; a decision of "no CORS" has none, and a note says it was made.
constexpr const char* kDecidedNote = "mod_cors-decided";

bool was_decided(const request_rec* r) noexcept {
    return state_of(r) || (r->notes && apr_table_get(r->notes, kDecidedNote));
}

void mark_decided_no_cors(request_rec* r) {
    if (r->notes) apr_table_setn(r->notes, kDecidedNote, "1");
}

// The decision for `r` in the scope `conf`, not recorded yet; null when CORSEngine is not On there.
State* decision_in(request_rec* r, const DirConfig* conf) {
    if (!engine_on(conf)) return nullptr;
    cors::Policy policy = policy_of(conf);
    const cors_maps::RequestOracle maps(r, conf->maps, policy);  // sets policy.maps
    const cors::Request q = request_view(r);
    cors::Decision d;
    cors::decide(policy, q, d);
    return make_state(r, conf, policy, q, d);
}

// Gives `r` the decision `s` (null: no CORS) of an earlier request of its chain, logged
// there already: CORS_*, the state the headers filter and the counters read.
State* inherit(request_rec* r, State* s) {
    if (!s) {
        mark_decided_no_cors(r);
        return nullptr;
    }
    set_state(r, s);
    keep_decision(r, s);
    return s;
}

// Makes `s` (null: no CORS) the decision of `r`, as inherit() does, and logs it.
State* record(request_rec* r, State* s) {
    if (s) log_decision(r, s);
    return inherit(r, s);
}

// Decides in the scope `conf`, sets CORS_* and logs. Null when CORSEngine is not On there.
State* decide_in_scope(request_rec* r, const DirConfig* conf) { return record(r, decision_in(r, conf)); }

// An ErrorDocument page: httpd redirects internally with the failed request's status.
bool is_error_document(const request_rec* r) { return r->prev && ap_is_HTTP_ERROR(r->status); }

// The decision request `q` is answered with: the one made for it; made now where q was
// answered before header_parser (a Redirect in <Location>, a request httpd could not read:
// for the headers only, it refuses nothing); where q's scope configures no CORS, the decision
// of the request it was redirected from.
State* decision_of(request_rec* q) {
    if (was_decided(q)) return state_of(q);
    const DirConfig* conf = dir_config(q);
    if (configures_cors(conf) || !q->prev) return decide_in_scope(q, conf);
    return inherit(q, decision_of(q->prev));
}

// ------------------------------------------- the scope of the resource finally served

// Internal redirects a look-up follows at most (httpd's LimitInternalRecursion default).
constexpr int kMaxLookups = 10;

// The request whose look-up runs on this thread. Its look-ups, and the look-ups they make
// (mod_dir's candidates), skip authentication and authorisation: a look-up is only ever
// asked where it would go, never run (lookup_guard refuses it a handler).
thread_local const request_rec* t_looking_up = nullptr;

bool in_lookup(const request_rec* r) noexcept {
    if (!r->main || !t_looking_up) return false;  // a look-up is a subrequest: main requests skip the TLS read
    for (const request_rec* m = r->main; m; m = m->main)
        if (m == t_looking_up) return true;
    return false;
}

class LookupWindow {
public:
    explicit LookupWindow(const request_rec* r) noexcept : before_(t_looking_up) { t_looking_up = r; }
    ~LookupWindow() { t_looking_up = before_; }
    LookupWindow(const LookupWindow&) = delete;
    LookupWindow& operator=(const LookupWindow&) = delete;

private:
    const request_rec* before_;
};

// Where mod_rewrite's per-directory rule sends a request (its handler does the internal
// redirect, as handler_redirect in mod_rewrite.c); null when it sends it nowhere.
const char* redirect_target(const request_rec* rr) {
    if (!rr->handler || strcmp(rr->handler, "redirect-handler") || !rr->filename ||
        strncmp(rr->filename, "redirect:", 9) || rr->filename[9] != '/')
        return nullptr;
    return rr->args ? apr_pstrcat(rr->pool, rr->filename + 9, "?", rr->args, nullptr) : rr->filename + 9;
}

// The scope that decides `r`: the last scope that configures CORS on the way to the resource
// finally served, `own` (r's scope now) when none does after it. The way is httpd's own: a
// look-up of the request line's target with r's method (a subrequest: translate_name,
// map_to_storage, the per-directory walks and .htaccess, then the fixups, where mod_dir's
// DirectoryIndex and FallbackResource, mod_negotiation and mod_rewrite's per-directory rules
// move it as they move r), then a look-up of each internal redirect such a rule asks for.
// A look-up that ends in an error or a redirect (mod_dir's trailing slash, [R]) stops the way
// there. The look-ups are never run; they live in r's pool (the decision points to their
// merged configuration).
const DirConfig* final_scope(request_rec* r, const DirConfig* own) {
    const DirConfig* decides = own;
    const char* uri = r->unparsed_uri;
    if (!uri || uri[0] != '/') return decides;  // "*", or an absolute-form target (a proxy's)
    LookupWindow window(r);
    for (int hop = 0; uri && hop < kMaxLookups; ++hop) {
        request_rec* rr = ap_sub_req_method_uri(r->method, uri, r, nullptr);
        if (rr->status != HTTP_OK) break;
        const DirConfig* conf = dir_config(rr);
        if (configures_cors(conf)) decides = conf;
        uri = redirect_target(rr);
    }
    return decides;
}

// OPTIONS with Origin and Access-Control-Request-Method: what may be a preflight.
bool preflight_shaped(const request_rec* r) {
    return r->method_number == M_OPTIONS && apr_table_get(r->headers_in, "Access-Control-Request-Method") &&
           apr_table_get(r->headers_in, "Origin");
}

bool refuses(const State* s) {
    return s && !s->report_only && s->action == cors::Action::Reject;
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
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CORS_LOGNO(00103) "CORS decision failed: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CORS_LOGNO(00104) "CORS decision failed");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

// After the per-directory merge, before authentication: a preflight gets its 204 or 403 even
// where the actual request needs a login, decided in the scope of the resource finally
// served (final_scope). An actual request is decided in its own scope; one refused there is
// decided again where it would be served. Subrequests decide nothing (their main request
// does). An internal redirect other than an ErrorDocument (a front controller's RewriteRule,
// mod_actions) is decided in its target's scope when that scope configures CORS, and keeps
// the decision it was given when it does not. An ErrorDocument page takes the decision of
// the request that failed.
extern "C" int header_parser(request_rec* r) {
    return guarded_hook(r, [&] {
        if (r->main) return DECLINED;
        if (is_error_document(r)) {
            inherit(r, decision_of(r->prev));
            return DECLINED;
        }
        const DirConfig* own = dir_config(r);
        const bool preflight = preflight_shaped(r);
        const DirConfig* conf = preflight ? final_scope(r, own) : own;
        if (!configures_cors(conf)) {
            // Nothing to note for a first request where no CORS is configured: decision_of()
            // finds the same "no CORS" for it later, so no request pays a table write here.
            if (r->prev) inherit(r, decision_of(r->prev));
            return DECLINED;
        }
        State* s = decision_in(r, conf);
        if (!preflight && refuses(s)) {
            const DirConfig* target = final_scope(r, conf);
            if (target != conf) s = decision_in(r, target);
        }
        return act_on(r, record(r, s));
    });
}

// The last fixup, after mod_dir's (DirectoryIndex moves the request into the index file's
// scope, with ap_internal_fast_redirect): decided again where the scope changed to one that
// configures CORS. A per-directory RewriteRule's target is decided by its own header_parser.
extern "C" int fixups(request_rec* r) {
    return guarded_hook(r, [&] {
        if (r->main || is_error_document(r)) return DECLINED;
        const DirConfig* conf = dir_config(r);
        if (!configures_cors(conf)) return DECLINED;  // keeps the decision it was given
        const State* s = state_of(r);
        if (s ? s->conf == conf : !engine_on(conf)) return DECLINED;
        if (r->handler && !strcmp(r->handler, "redirect-handler")) return DECLINED;
        if (s) {
            set_state(r, nullptr);
            forget_decision(r);
        }
        return act_on(r, decide_in_scope(r, conf));
    });
}

// A look-up (final_scope) is authorised as the request it is made for will be: its own
// authentication and authorisation are skipped, since it is never run.
extern "C" int lookup_access(request_rec* r) { return in_lookup(r) ? OK : DECLINED; }

// ... and no module may force authentication on it (RUN_FIRST: DONE stops the others).
extern "C" int lookup_force_authn(request_rec* r) { return in_lookup(r) ? DONE : DECLINED; }

// Should anything run a look-up (or a subrequest of one) while it is made, it gets no
// handler: it was let past authentication.
extern "C" int lookup_guard(request_rec* r) {
    if (!in_lookup(r)) return DECLINED;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  CORS_LOGNO(00107) "a module ran the look-up of %s made for a CORS decision; refused",
                  or_dash(r->uri));
    return HTTP_INTERNAL_SERVER_ERROR;
}

// Adds the headers filter for the response about to be made (once per output chain).
extern "C" void insert_filter(request_rec* r) {
    State* s = state_of(r);
    if (!s || r->main || s->report_only || s->filtered == r) return;
    add_headers_filter(r, s);
    s->filtered = r;
}

// httpd's own error page of the request that failed, `r`: its decision (decision_of), made
// now where r was answered before header_parser (a Redirect in <Location>, or a request
// httpd could not read: 400, 414, ...), for the headers only; it refuses nothing.
extern "C" void insert_error_filter(request_rec* r) {
    try {
        if (r->main) return;
        if (State* s = decision_of(r)) s->filtered = nullptr;  // httpd starts the error page's chain afresh
        insert_filter(r);
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CORS_LOGNO(00105) "could not decide on the CORS headers");
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
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, CORS_LOGNO(00106) "start-up checks failed: %s", e.what());
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
    ap_hook_check_access_ex(lookup_access, nullptr, nullptr, APR_HOOK_REALLY_FIRST, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_force_authn(lookup_force_authn, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
    ap_hook_handler(lookup_guard, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
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

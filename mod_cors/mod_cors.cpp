// mod_cors: the Apache httpd glue. It reads the configuration into the engine's
// types, turns a request_rec into a cors::Request, and a cors::Decision back into
// headers, an early 204 or a 403. All CORS logic lives in engine/.

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include <cstddef>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "engine/decision.hpp"

extern "C" module AP_MODULE_DECLARE_DATA cors_module;
APLOG_USE_MODULE(cors);

namespace {

constexpr int kUnset = -1;
constexpr const char* kFilterName = "CORS_HEADERS";
constexpr std::size_t kLoggedOriginMax = 200;

// Per-directory configuration. Plain data; the C++ objects it points to are owned
// by the pool the directive was read with (a pool cleanup deletes them).
struct DirConfig {
    int engine;
    cors::OriginRules* origins;
    cors::PatternList* patterns;
    cors::NameList* methods;
    cors::NameList* allow_headers;
    cors::NameList* expose_headers;
    int credentials;
    int max_age;
    int private_network;
    int preflight;          // cors::PreflightMode
    int reject;
    int report_only;
    int override_app;
    const char* where;      // "file:line" of the scope's first CORS directive
    int registered;         // listed in g_scopes for the start-up checks
};

// The decision of one request, as the output filter needs it (pool strings).
struct State {
    int action;             // cors::Action
    int report_only;        // decided and logged only; the response is left alone
    int override_app;
    unsigned vary;
    const char* allow_origin;
    const char* allow_credentials;
    const char* expose_headers;
    const char* allow_methods;
    const char* allow_headers;
    const char* max_age;
    const char* allow_private_network;
    const char* kind;
    const char* origin;
    const char* reason;     // NULL when allowed
};

struct RequestNote {
    const State* state;
};

// Scopes configured in the main configuration, for the warnings and the summary
// logged at start-up. Rebuilt at every configuration load (pre_config).
apr_array_header_t* g_scopes = nullptr;

// The headers filter, registered once per load of the module.
ap_filter_rec_t* g_headers_filter = nullptr;

template <class T>
apr_status_t delete_object(void* p) {
    delete static_cast<T*>(p);
    return APR_SUCCESS;
}

template <class T, class... Args>
T* pool_owned(apr_pool_t* pool, Args&&... args) {
    T* object = new T(std::forward<Args>(args)...);
    apr_pool_cleanup_register(pool, object, delete_object<T>, apr_pool_cleanup_null);
    return object;
}

// A configuration value quoted in a message: httpd cuts log lines at about 8 KB.
std::string shortened(std::string_view value) {
    constexpr std::size_t kQuoted = 200;
    if (value.size() <= kQuoted) return std::string(value);
    return std::string(value.substr(0, kQuoted)) + "... (" + std::to_string(value.size()) + " bytes)";
}

const char* error_text(cmd_parms* cmd, const std::string& message) {
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", message.c_str(), nullptr);
}

// Runs a directive body; turns an escaping exception into a configuration error.
template <class Body>
const char* guarded(cmd_parms* cmd, Body&& body) noexcept {
    try {
        return body();
    } catch (const std::exception& e) {
        return error_text(cmd, std::string("internal error: ") + e.what());
    } catch (...) {
        return error_text(cmd, "internal error");
    }
}

cors::Policy policy_of(const DirConfig* c) noexcept {
    cors::Policy p;
    p.origins = c->origins;
    p.patterns = c->patterns;
    p.methods = c->methods;
    p.allow_headers = c->allow_headers;
    p.expose_headers = c->expose_headers;
    p.credentials = c->credentials == 1;
    p.max_age = c->max_age;
    p.private_network = c->private_network == 1;
    p.preflight = c->preflight == kUnset ? cors::PreflightMode::Handle
                                         : static_cast<cors::PreflightMode>(c->preflight);
    p.reject = c->reject != 0;
    p.report_only = c->report_only == 1;
    p.override_app_headers = c->override_app != 0;
    return p;
}

// Notes the scope for the start-up checks, and where it was configured.
void touch_scope(cmd_parms* cmd, DirConfig* c) {
    if (!c->where && cmd->directive)
        c->where = apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename, cmd->directive->line_num);
    if (g_scopes && !c->registered) {
        c->registered = 1;
        APR_ARRAY_PUSH(g_scopes, DirConfig*) = c;
    }
}

// Errors that need more than one directive of the scope.
const char* check_scope(cmd_parms* cmd, DirConfig* c) {
    std::vector<std::string> errors, warnings;
    cors::check_policy(policy_of(c), errors, warnings);
    return errors.empty() ? nullptr : error_text(cmd, errors.front());
}

// ---------------------------------------------------------------- directives

extern "C" const char* set_flag(cmd_parms* cmd, void* dc, int on) {
    return guarded(cmd, [&]() -> const char* {
        auto* c = static_cast<DirConfig*>(dc);
        *reinterpret_cast<int*>(reinterpret_cast<char*>(c) + reinterpret_cast<std::size_t>(cmd->info)) = on;
        touch_scope(cmd, c);
        return check_scope(cmd, c);
    });
}

extern "C" const char* set_allow_origin(cmd_parms* cmd, void* dc, const char* arg) {
    return guarded(cmd, [&]() -> const char* {
        auto* c = static_cast<DirConfig*>(dc);
        if (!c->origins) c->origins = pool_owned<cors::OriginRules>(cmd->pool);
        std::string error = c->origins->add(arg);
        if (!error.empty()) return error_text(cmd, error);
        touch_scope(cmd, c);
        return check_scope(cmd, c);
    });
}

extern "C" const char* set_allow_origin_match(cmd_parms* cmd, void* dc, const char* arg) {
    return guarded(cmd, [&]() -> const char* {
        auto* c = static_cast<DirConfig*>(dc);
        if (!c->patterns) c->patterns = pool_owned<cors::PatternList>(cmd->pool);
        std::string error = c->patterns->add(arg);
        if (!error.empty()) return error_text(cmd, error + " in '" + shortened(arg) + "'");
        touch_scope(cmd, c);
        return nullptr;
    });
}

template <cors::NameList* DirConfig::*Member, cors::NameList::Kind Kind>
const char* add_name(cmd_parms* cmd, void* dc, const char* arg) {
    return guarded(cmd, [&]() -> const char* {
        auto* c = static_cast<DirConfig*>(dc);
        if (!(c->*Member)) c->*Member = pool_owned<cors::NameList>(cmd->pool, Kind);
        std::string error = (c->*Member)->add(arg);
        if (!error.empty()) return error_text(cmd, error);
        touch_scope(cmd, c);
        return check_scope(cmd, c);
    });
}

extern "C" const char* set_allow_methods(cmd_parms* cmd, void* dc, const char* arg) {
    return add_name<&DirConfig::methods, cors::NameList::Kind::Method>(cmd, dc, arg);
}
extern "C" const char* set_allow_headers(cmd_parms* cmd, void* dc, const char* arg) {
    return add_name<&DirConfig::allow_headers, cors::NameList::Kind::Header>(cmd, dc, arg);
}
extern "C" const char* set_expose_headers(cmd_parms* cmd, void* dc, const char* arg) {
    return add_name<&DirConfig::expose_headers, cors::NameList::Kind::Header>(cmd, dc, arg);
}

extern "C" const char* set_max_age(cmd_parms* cmd, void* dc, const char* arg) {
    return guarded(cmd, [&]() -> const char* {
        auto* c = static_cast<DirConfig*>(dc);
        std::string error = cors::parse_max_age(arg, c->max_age);
        if (!error.empty()) return error_text(cmd, error);
        touch_scope(cmd, c);
        return nullptr;
    });
}

extern "C" const char* set_preflight(cmd_parms* cmd, void* dc, const char* arg) {
    return guarded(cmd, [&]() -> const char* {
        auto* c = static_cast<DirConfig*>(dc);
        if (!strcasecmp(arg, "Handle")) c->preflight = static_cast<int>(cors::PreflightMode::Handle);
        else if (!strcasecmp(arg, "Pass")) c->preflight = static_cast<int>(cors::PreflightMode::Pass);
        else return error_text(cmd, "'" + std::string(arg) + "' is neither Handle nor Pass");
        touch_scope(cmd, c);
        return nullptr;
    });
}

#define FLAG_OFFSET(field) reinterpret_cast<void*>(offsetof(DirConfig, field))
// In C++ the command table needs the cast that C does implicitly.
#define CMD_FUNC(fn) reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(fn))

const command_rec cors_directives[] = {
    AP_INIT_FLAG("CORSEngine", CMD_FUNC(set_flag), FLAG_OFFSET(engine), OR_FILEINFO,
                 "On|Off: handle CORS in this scope (default Off)"),
    AP_INIT_ITERATE("CORSAllowOrigin", CMD_FUNC(set_allow_origin), nullptr, OR_FILEINFO,
                    "Allowed origins: scheme://host[:port], scheme://*.domain[:port], scheme://host:*, *, null"),
    AP_INIT_TAKE1("CORSAllowOriginMatch", CMD_FUNC(set_allow_origin_match), nullptr, OR_FILEINFO,
                  "A PCRE2 pattern for allowed origins, plain or as written for PHP's preg_match()"),
    AP_INIT_ITERATE("CORSAllowMethods", CMD_FUNC(set_allow_methods), nullptr, OR_FILEINFO,
                    "Methods a preflight may ask for, or * (default GET HEAD POST)"),
    AP_INIT_ITERATE("CORSAllowHeaders", CMD_FUNC(set_allow_headers), nullptr, OR_FILEINFO,
                    "Request headers a preflight may ask for, or * (Authorization must be named)"),
    AP_INIT_ITERATE("CORSExposeHeaders", CMD_FUNC(set_expose_headers), nullptr, OR_FILEINFO,
                    "Response headers scripts may read, or *"),
    AP_INIT_FLAG("CORSAllowCredentials", CMD_FUNC(set_flag), FLAG_OFFSET(credentials), OR_FILEINFO,
                 "On|Off: send Access-Control-Allow-Credentials: true (default Off)"),
    AP_INIT_TAKE1("CORSMaxAge", CMD_FUNC(set_max_age), nullptr, OR_FILEINFO,
                  "Seconds a browser may cache a preflight answer, 0 to 86400"),
    AP_INIT_FLAG("CORSAllowPrivateNetwork", CMD_FUNC(set_flag), FLAG_OFFSET(private_network), OR_FILEINFO,
                 "On|Off: answer Access-Control-Request-Private-Network (default Off)"),
    AP_INIT_TAKE1("CORSPreflight", CMD_FUNC(set_preflight), nullptr, OR_FILEINFO,
                  "Handle|Pass: answer preflights here, or pass allowed ones on (default Handle)"),
    AP_INIT_FLAG("CORSReject", CMD_FUNC(set_flag), FLAG_OFFSET(reject), OR_FILEINFO,
                 "On|Off: refuse requests from origins not allowed with 403 (default On)"),
    AP_INIT_FLAG("CORSReportOnly", CMD_FUNC(set_flag), FLAG_OFFSET(report_only), OR_FILEINFO,
                 "On|Off: only log and set CORS_* variables, change nothing (default Off)"),
    AP_INIT_FLAG("CORSOverrideAppHeaders", CMD_FUNC(set_flag), FLAG_OFFSET(override_app), OR_FILEINFO,
                 "On|Off: remove Access-Control-* headers the application set (default On)"),
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr},
};

// ------------------------------------------------------------- configuration

extern "C" void* create_dir_config(apr_pool_t* p, char*) {
    auto* c = static_cast<DirConfig*>(apr_pcalloc(p, sizeof(DirConfig)));
    c->engine = c->credentials = c->max_age = c->private_network = c->preflight = kUnset;
    c->reject = c->report_only = c->override_app = kUnset;
    return c;
}

extern "C" void* merge_dir_config(apr_pool_t* p, void* base_v, void* add_v) {
    auto* base = static_cast<DirConfig*>(base_v);
    auto* add = static_cast<DirConfig*>(add_v);
    auto* c = static_cast<DirConfig*>(apr_pcalloc(p, sizeof(DirConfig)));
#define MERGE_VALUE(field) c->field = (add->field != kUnset) ? add->field : base->field
#define MERGE_POINTER(field) c->field = add->field ? add->field : base->field
    MERGE_VALUE(engine);
    MERGE_POINTER(origins);
    MERGE_POINTER(patterns);
    MERGE_POINTER(methods);
    MERGE_POINTER(allow_headers);
    MERGE_POINTER(expose_headers);
    MERGE_VALUE(credentials);
    MERGE_VALUE(max_age);
    MERGE_VALUE(private_network);
    MERGE_VALUE(preflight);
    MERGE_VALUE(reject);
    MERGE_VALUE(report_only);
    MERGE_VALUE(override_app);
    MERGE_POINTER(where);
#undef MERGE_VALUE
#undef MERGE_POINTER
    return c;
}

// --------------------------------------------------------------- the headers

void unset_access_control(apr_table_t* t) {
    // Collect first: unsetting while iterating an APR table is not allowed.
    const apr_array_header_t* arr = apr_table_elts(t);
    const auto* e = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
    std::vector<const char*> names;
    for (int i = 0; i < arr->nelts; ++i)
        if (e[i].key && (e[i].key[0] | 0x20) == 'a' && !strncasecmp(e[i].key, "Access-Control-", 15))
            names.push_back(e[i].key);
    for (const char* name : names) apr_table_unset(t, name);
}

// Adds each token of `value` not in `tokens` yet (case-insensitive).
void add_vary_tokens(apr_pool_t* pool, std::vector<const char*>& tokens, const char* value) {
    cors::for_each_list_element(value, [&](std::string_view token) {
        for (const char* t : tokens)
            if (cors::iequals(t, token)) return true;
        tokens.push_back(apr_pstrmemdup(pool, token.data(), token.size()));
        return true;
    });
}

// One Vary line, in headers_out, with the application's tokens and ours, each once.
void merge_vary(request_rec* r, unsigned bits) {
    const std::string_view ours = cors::vary_value(bits);  // a NUL-terminated literal
    if (!apr_table_get(r->headers_out, "Vary") && !apr_table_get(r->err_headers_out, "Vary")) {
        apr_table_setn(r->headers_out, "Vary", ours.data());
        return;
    }
    std::vector<const char*> tokens;
    auto collect = [](void* ctx, const char*, const char* value) -> int {
        auto* pair = static_cast<std::pair<request_rec*, std::vector<const char*>*>*>(ctx);
        add_vary_tokens(pair->first->pool, *pair->second, value);
        return 1;
    };
    std::pair<request_rec*, std::vector<const char*>*> ctx{r, &tokens};
    apr_table_do(collect, &ctx, r->headers_out, "Vary", nullptr);
    apr_table_do(collect, &ctx, r->err_headers_out, "Vary", nullptr);
    add_vary_tokens(r->pool, tokens, ours.data());
    bool star = false;
    std::string joined;
    for (const char* t : tokens) {
        star = star || !strcmp(t, "*");
        if (!joined.empty()) joined += ", ";
        joined += t;
    }
    apr_table_unset(r->err_headers_out, "Vary");
    apr_table_set(r->headers_out, "Vary", star ? "*" : joined.c_str());
}

// Sets the decision's headers on the response being sent.
void apply_headers(request_rec* r, const State* s) {
    if (s->override_app) {
        unset_access_control(r->headers_out);
        unset_access_control(r->err_headers_out);
    }
    auto set = [&](const char* name, const char* value) {
        if (!value) return;
        if (!s->override_app &&
            (apr_table_get(r->headers_out, name) || apr_table_get(r->err_headers_out, name)))
            return;
        apr_table_setn(r->headers_out, name, value);
    };
    set("Access-Control-Allow-Origin", s->allow_origin);
    set("Access-Control-Allow-Credentials", s->allow_credentials);
    set("Access-Control-Expose-Headers", s->expose_headers);
    set("Access-Control-Allow-Methods", s->allow_methods);
    set("Access-Control-Allow-Headers", s->allow_headers);
    set("Access-Control-Max-Age", s->max_age);
    set("Access-Control-Allow-Private-Network", s->allow_private_network);
    if (s->vary) merge_vary(r, s->vary);
}

extern "C" apr_status_t headers_filter(ap_filter_t* f, apr_bucket_brigade* bb) {
    try {
        apply_headers(f->r, static_cast<const State*>(f->ctx));
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, f->r, "could not set the CORS headers");
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

// ------------------------------------------------------------------ requests

RequestNote* note_of(const request_rec* r) {
    return static_cast<RequestNote*>(ap_get_module_config(r->request_config, &cors_module));
}

void set_note(request_rec* r, const State* state) {
    auto* note = static_cast<RequestNote*>(apr_pcalloc(r->pool, sizeof(RequestNote)));
    note->state = state;
    ap_set_module_config(r->request_config, &cors_module, note);
}

const char* pool_copy(apr_pool_t* p, std::string_view v) {
    return v.empty() ? nullptr : apr_pstrmemdup(p, v.data(), v.size());
}

// The Host the request was sent to; without a Host header, the name and port it reached.
const char* request_host(request_rec* r) {
    const char* host = apr_table_get(r->headers_in, "Host");
    if (host) return host;
    if (!r->hostname) return "";
    return apr_psprintf(r->pool, "%s:%u", r->hostname, static_cast<unsigned>(r->connection->local_addr->port));
}

cors::Request request_view(request_rec* r) {
    cors::Request q;
    q.method = r->method;
    // httpd joins repeated Origin lines into one value (", "), which no origin is.
    const char* origin = apr_table_get(r->headers_in, "Origin");
    q.has_origin = origin != nullptr;
    if (!origin) return q;
    q.origin = origin;
    q.origin_count = 1;
    q.scheme = ap_http_scheme(r);
    q.host = request_host(r);
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

State* make_state(request_rec* r, const cors::Policy& policy, const cors::Request& q, const cors::Decision& d) {
    auto* s = static_cast<State*>(apr_pcalloc(r->pool, sizeof(State)));
    s->action = static_cast<int>(d.action);
    s->report_only = policy.report_only;
    s->override_app = policy.override_app_headers;
    s->vary = d.vary;
    s->allow_origin = pool_copy(r->pool, d.allow_origin);
    s->allow_credentials = pool_copy(r->pool, d.allow_credentials);
    s->expose_headers = pool_copy(r->pool, d.expose_headers);
    s->allow_methods = pool_copy(r->pool, d.allow_methods);
    s->allow_headers = pool_copy(r->pool, d.allow_headers);
    s->max_age = pool_copy(r->pool, d.max_age);
    s->allow_private_network = pool_copy(r->pool, d.allow_private_network);
    s->kind = cors::to_string(d.kind);
    s->origin = q.has_origin ? apr_pstrmemdup(r->pool, q.origin.data(), q.origin.size()) : nullptr;
    if (!d.allowed)
        s->reason = d.reason_detail.empty()
                        ? d.reason
                        : apr_pstrcat(r->pool, d.reason, ": ",
                                      apr_pstrmemdup(r->pool, d.reason_detail.data(),
                                                     std::min<std::size_t>(d.reason_detail.size(), kLoggedOriginMax)),
                                      nullptr);
    return s;
}

void set_environment(request_rec* r, const State* s) {
    apr_table_setn(r->subprocess_env, "CORS_REQUEST", s->kind);
    if (s->origin) apr_table_setn(r->subprocess_env, "CORS_ORIGIN", s->origin);
    apr_table_setn(r->subprocess_env, "CORS_ALLOWED", s->reason ? "0" : "1");
    if (s->reason) apr_table_setn(r->subprocess_env, "CORS_REASON", s->reason);
}

const char* logged_origin(request_rec* r, const State* s) {
    if (!s->origin) return "-";
    std::string_view o(s->origin);
    if (o.size() > kLoggedOriginMax) o = o.substr(0, kLoggedOriginMax);
    return ap_escape_logitem(r->pool, apr_pstrmemdup(r->pool, o.data(), o.size()));
}

const char* action_name(const State* s) {
    if (s->report_only) return s->reason ? "would refuse (report only)" : "would allow (report only)";
    switch (static_cast<cors::Action>(s->action)) {
        case cors::Action::AnswerPreflight: return "answered with 204";
        case cors::Action::Reject: return "refused with 403";
        case cors::Action::Continue: break;
    }
    return s->reason ? "not allowed, passed on without CORS headers" : "allowed";
}

void log_decision(request_rec* r, const State* s) {
    if (!APLOG_R_IS_LEVEL(r, s->reason ? APLOG_INFO : APLOG_DEBUG)) return;  // skip the escaping
    if (!s->origin) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "%s %s: no Origin header, not a CORS request", r->method,
                      ap_escape_logitem(r->pool, r->uri));
        return;
    }
    const char* origin = logged_origin(r, s);
    const char* action = action_name(s);
    if (s->reason) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "%s %s: %s request from origin '%s' %s: %s", r->method,
                      ap_escape_logitem(r->pool, r->uri), s->kind, origin, action, s->reason);
    } else {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "%s %s: %s request from origin '%s' %s", r->method,
                      ap_escape_logitem(r->pool, r->uri), s->kind, origin, action);
    }
}

const State* decide_in_scope(request_rec* r);

// A subrequest shares its main request's decision; an internal redirect (ErrorDocument,
// ...) keeps the first request's, made late (headers only) when the first request
// was answered before header_parser. True when `r` is one of those.
bool inherit_decision(request_rec* r) {
    if (r->main) {
        if (RequestNote* main_note = note_of(r->main)) set_note(r, main_note->state);
        return true;
    }
    if (!r->prev) return false;
    request_rec* first = r->prev;
    const State* s = nullptr;
    for (request_rec* q = r->prev; q && !s; q = q->prev) {
        if (RequestNote* note = note_of(q)) s = note->state;
        first = q;
    }
    if (!s) s = decide_in_scope(first);
    if (s) {
        set_note(r, s);
        set_environment(r, s);
    }
    return true;
}

// Decides in the request's scope, sets CORS_* and logs. Null when CORSEngine is not On.
const State* decide_in_scope(request_rec* r) {
    const auto* conf = static_cast<const DirConfig*>(ap_get_module_config(r->per_dir_config, &cors_module));
    if (!conf || conf->engine != 1) return nullptr;
    const cors::Policy policy = policy_of(conf);
    const cors::Request q = request_view(r);
    cors::Decision d;
    cors::decide(policy, q, d);
    State* s = make_state(r, policy, q, d);
    set_environment(r, s);
    log_decision(r, s);
    set_note(r, s);
    return s;
}

// Classifies and decides, before authentication: answers preflights, refuses strangers.
int decide_request(request_rec* r) {
    if (inherit_decision(r)) return DECLINED;
    const State* s = decide_in_scope(r);
    if (!s || s->report_only) return DECLINED;
    switch (static_cast<cors::Action>(s->action)) {
        case cors::Action::AnswerPreflight:
            // Answered here, before authentication; the filters a handler would get
            // (ours, mod_headers' "Header always" ...) still shape the 204.
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

extern "C" int header_parser(request_rec* r) {
    try {
        return decide_request(r);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "CORS decision failed: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "CORS decision failed");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

bool has_headers_filter(const request_rec* r) {
    for (const ap_filter_t* f = r->output_filters; f; f = f->next)
        if (f->frec == g_headers_filter) return true;
    return false;
}

// Adds the headers filter for the response about to be made: the handler's, or an
// error page (whose chain httpd starts afresh).
extern "C" void insert_filter(request_rec* r) {
    RequestNote* note = note_of(r);
    if (!note || r->main || note->state->report_only || has_headers_filter(r)) return;
    ap_add_output_filter_handle(g_headers_filter, const_cast<State*>(note->state), r, r->connection);
}

// An error or redirect made before header_parser ran (a Redirect in <Location>)
// has no decision yet: decide now, for the headers only; it refuses nothing.
extern "C" void insert_error_filter(request_rec* r) {
    try {
        if (!note_of(r) && !inherit_decision(r)) decide_in_scope(r);
        insert_filter(r);
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "could not decide on the CORS headers");
    }
}

// ---------------------------------------------------------------- start-up

extern "C" int pre_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*) {
    g_scopes = apr_array_make(pconf, 8, sizeof(DirConfig*));
    return OK;
}

std::string summary(const DirConfig* c) {
    const cors::Policy p = policy_of(c);
    auto list = [](const cors::NameList* l, const char* unset) { return l ? l->joined() : std::string(unset); };
    std::string s = "origins: ";
    s += std::to_string(p.origins ? p.origins->size() : 0) + " rules, ";
    s += std::to_string(p.patterns ? p.patterns->patterns().size() : 0) + " patterns";
    s += "; methods: " + list(p.methods, "GET, HEAD, POST");
    s += "; headers: " + list(p.allow_headers, "none");
    s += "; exposed: " + list(p.expose_headers, "none");
    s += std::string("; credentials ") + (p.credentials ? "on" : "off");
    s += "; max-age " + (p.max_age >= 0 ? std::to_string(p.max_age) : std::string("unset"));
    s += std::string("; preflight ") + (p.preflight == cors::PreflightMode::Handle ? "handled" : "passed on");
    if (p.private_network) s += "; private network on";
    if (!p.reject) s += "; reject off";
    if (!p.override_app_headers) s += "; application headers kept";
    if (p.report_only) s += "; REPORT ONLY";
    return s;
}

// The warnings of every scope of the main configuration, and a summary of each scope
// that turns CORS on. .htaccess files, read later, are checked per directive only.
void check_scopes(server_rec* s, bool summaries) {
    for (int i = 0; g_scopes && i < g_scopes->nelts; ++i) {
        const DirConfig* c = APR_ARRAY_IDX(g_scopes, i, DirConfig*);
        std::vector<std::string> errors, warnings;
        cors::check_policy(policy_of(c), errors, warnings);
        for (const std::string& w : warnings)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s (scope at %s)", w.c_str(), c->where);
        if (summaries && c->engine == 1)
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "CORS enabled at %s: %s", c->where, summary(c).c_str());
    }
}

// `apachectl -t` stops before post_config: the warnings go to its output from here.
extern "C" int check_config(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s) {
    if (ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_CONFIG_TEST) return OK;
    try {
        check_scopes(s, false);
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "start-up checks failed: %s", e.what());
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

// At a real start, into the error log.
extern "C" int post_config(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s) {
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    try {
        check_scopes(s, true);
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "start-up checks failed: %s", e.what());
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    g_scopes = nullptr;
    return OK;
}

extern "C" void register_hooks(apr_pool_t*) {
    ap_hook_pre_config(pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_header_parser(header_parser, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_insert_filter(insert_filter, nullptr, nullptr, APR_HOOK_LAST);
    ap_hook_insert_error_filter(insert_error_filter, nullptr, nullptr, APR_HOOK_LAST);
    // After mod_headers' and mod_deflate's filters (AP_FTYPE_CONTENT_SET, +1), so that
    // their Access-Control-* and Vary lines are seen; before the protocol filters.
    g_headers_filter = ap_register_output_filter(kFilterName, headers_filter, nullptr,
                                                 static_cast<ap_filter_type>(AP_FTYPE_CONTENT_SET + 5));
}

}  // namespace

extern "C" {
// The one symbol the DSO exports (the build hides all others).
__attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA cors_module = {
    STANDARD20_MODULE_STUFF,
    create_dir_config,
    merge_dir_config,
    nullptr,
    nullptr,
    cors_directives,
    register_hooks,
    AP_MODULE_FLAG_NONE,
};
}

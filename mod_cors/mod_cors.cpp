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
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "engine/decision.hpp"
#include "status.hpp"
#include "origin_maps.hpp"

extern "C" module AP_MODULE_DECLARE_DATA cors_module;
APLOG_USE_MODULE(cors);

namespace {

constexpr int kUnset = -1;
constexpr const char* kFilterName = "CORS_HEADERS";
constexpr std::size_t kLoggedOriginMax = 200;        // bytes of an Origin value in a log line
constexpr std::size_t kReasonDetailMax = 200;        // bytes of a method or header name in CORS_REASON

// The On|Off directives: field, directive, default, help. The one place their defaults live:
// the merge result (policy_of), the help strings (`apache2 -L`, which the docs check reads)
// and the documentation check all come from here.
#define CORS_FLAGS(X)                                                                              \
    X(engine, "CORSEngine", Off, "handle CORS in this scope")                                     \
    X(credentials, "CORSAllowCredentials", Off, "send Access-Control-Allow-Credentials: true")    \
    X(private_network, "CORSAllowPrivateNetwork", Off,                                            \
      "answer Access-Control-Request-Private-Network")                                            \
    X(reject, "CORSReject", On, "refuse requests from origins not allowed with 403")              \
    X(report_only, "CORSReportOnly", Off, "only log and set CORS_* variables, change nothing")    \
    X(override_app, "CORSOverrideAppHeaders", On, "remove Access-Control-* headers the application set") \
    X(debug_header, "CORSDebugHeader", Off, "send CORS-Reason: <reason> on answers the policy refuses")
#define CORS_DEFAULT_On 1
#define CORS_DEFAULT_Off 0

// Per-directory configuration. Plain data; the C++ objects it points to are owned
// by the pool the directive was read with (a pool cleanup deletes them).
// Every field is merged by merge_dir_config (the static_assert below keeps it so).
struct DirConfig {
#define CORS_FLAG_FIELD(field, name, def, help) int field;  // kUnset, 0 or 1
    CORS_FLAGS(CORS_FLAG_FIELD)
#undef CORS_FLAG_FIELD
    int max_age;            // kUnset: no Access-Control-Max-Age
    int preflight;          // cors::PreflightMode; kUnset: Handle
    cors::OriginRules* origins;
    cors::PatternList* patterns;
    cors::NameList* methods;         // null: GET HEAD POST
    cors::NameList* allow_headers;
    cors::NameList* expose_headers;
    cors_maps::AllowList* maps;      // CORSAllowOriginMap (origin_maps.cpp)
    const char* where;      // "file:line" of the scope's first CORS directive
    int registered;         // listed in g_scopes for the start-up checks (not merged)
};

#define CORS_INT_FIELDS(X) CORS_FLAGS(X) X(max_age, , , ) X(preflight, , , )
#define CORS_POINTER_FIELDS(X) X(origins) X(patterns) X(methods) X(allow_headers) X(expose_headers) X(maps) X(where)
#define CORS_COUNT_INT(field, name, def, help) +1
#define CORS_COUNT_POINTER(field) +1
constexpr std::size_t kMergedInts = 0 CORS_INT_FIELDS(CORS_COUNT_INT);
constexpr std::size_t kMergedPointers = 0 CORS_POINTER_FIELDS(CORS_COUNT_POINTER);
static_assert(offsetof(DirConfig, registered) ==
                  (kMergedInts * sizeof(int) + alignof(void*) - 1) / alignof(void*) * alignof(void*) +
                      kMergedPointers * sizeof(void*),
              "every DirConfig field before `registered` must be listed in CORS_INT_FIELDS or "
              "CORS_POINTER_FIELDS, so that merge_dir_config merges it");

// The value of a flag after the merge: set in some scope, or its default.
int flag_or_default(int value, int def) noexcept { return value == kUnset ? def : value; }

// The decision of one request, as the output filter needs it (pool strings).
struct State {
    const DirConfig* conf;  // the scope it was made in
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
    const request_rec* filtered;  // the request whose output chain has the headers filter
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
#define CORS_FLAG_VALUE(field, name, def, help) const bool field = flag_or_default(c->field, CORS_DEFAULT_##def) == 1;
    CORS_FLAGS(CORS_FLAG_VALUE)
#undef CORS_FLAG_VALUE
    (void)engine;
    (void)debug_header;  // not policy: apply_headers reads it
    cors::Policy p;
    p.origins = c->origins;
    p.patterns = c->patterns;
    p.methods = c->methods;
    p.allow_headers = c->allow_headers;
    p.expose_headers = c->expose_headers;
    p.credentials = credentials;
    p.max_age = c->max_age;
    p.private_network = private_network;
    p.preflight = c->preflight == kUnset ? cors::PreflightMode::Handle
                                         : static_cast<cors::PreflightMode>(c->preflight);
    p.reject = reject;
    p.report_only = report_only;
    p.override_app_headers = override_app;
    return p;
}

bool engine_on(const DirConfig* c) noexcept { return c && flag_or_default(c->engine, CORS_DEFAULT_Off) == 1; }

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

// httpd's ap_set_flag_slot sets the field; then the scope's checks run.
extern "C" const char* set_flag(cmd_parms* cmd, void* dc, int on) {
    return guarded(cmd, [&]() -> const char* {
        if (const char* error = ap_set_flag_slot(cmd, dc, on)) return error;
        auto* c = static_cast<DirConfig*>(dc);
        touch_scope(cmd, c);
        return check_scope(cmd, c);
    });
}

// Adds one argument to a list of the scope, made on first use with `args`; then the
// scope's checks run. A pattern's error quotes the pattern (PCRE2 gives an offset in it).
template <class List, List* DirConfig::*Member, bool kQuoteArgument = false, class... Args>
const char* add_to_list(cmd_parms* cmd, void* dc, const char* arg, Args... args) {
    return guarded(cmd, [&]() -> const char* {
        auto* c = static_cast<DirConfig*>(dc);
        if (!(c->*Member)) c->*Member = pool_owned<List>(cmd->pool, args...);
        std::string error = (c->*Member)->add(arg);
        if (!error.empty()) return error_text(cmd, kQuoteArgument ? error + " in '" + shortened(arg) + "'" : error);
        touch_scope(cmd, c);
        return check_scope(cmd, c);
    });
}

extern "C" const char* set_allow_origin(cmd_parms* cmd, void* dc, const char* arg) {
    return add_to_list<cors::OriginRules, &DirConfig::origins>(cmd, dc, arg);
}
extern "C" const char* set_allow_origin_match(cmd_parms* cmd, void* dc, const char* arg) {
    return add_to_list<cors::PatternList, &DirConfig::patterns, true>(cmd, dc, arg);
}

template <cors::NameList* DirConfig::*Member, cors::NameList::Kind Kind>
const char* add_name(cmd_parms* cmd, void* dc, const char* arg) {
    return add_to_list<cors::NameList, Member>(cmd, dc, arg, Kind);
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

extern "C" const char* set_allow_origin_map(cmd_parms* cmd, void* dc, const char* arg) {
    auto* c = static_cast<DirConfig*>(dc);
    const char* error = cors_maps::allow_origin_map(cmd, c->maps, arg);
    if (!error) touch_scope(cmd, c);
    return error;
}

// In C++ the command table needs the cast that C does implicitly.
#define CMD_FUNC(fn) reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(fn))
#define CORS_FLAG_DIRECTIVE(field, name, def, help)                                                   \
    AP_INIT_FLAG(name, CMD_FUNC(set_flag), reinterpret_cast<void*>(offsetof(DirConfig, field)), OR_FILEINFO, \
                 "On|Off: " help " (default " #def ")"),

const command_rec cors_directives[] = {
    CORS_FLAGS(CORS_FLAG_DIRECTIVE)
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
    AP_INIT_TAKE1("CORSMaxAge", CMD_FUNC(set_max_age), nullptr, OR_FILEINFO,
                  "Seconds a browser may cache a preflight answer, 0 to 86400 (default none: no header)"),
    AP_INIT_TAKE1("CORSPreflight", CMD_FUNC(set_preflight), nullptr, OR_FILEINFO,
                  "Handle|Pass: answer preflights here, or pass allowed ones on (default Handle)"),
    AP_INIT_ITERATE("CORSAllowOriginMap", CMD_FUNC(set_allow_origin_map), nullptr, OR_FILEINFO,
                    "Names of origin maps (CORSOriginMap) whose origins are allowed"),
    AP_INIT_TAKE2("CORSOriginMap", CMD_FUNC(cors_maps::set_origin_map), nullptr, RSRC_CONF,
                  "A named list of allowed origins: name txt:/path | dbm[=type]:/path | \"dbd:SQL with one %s\""),
    AP_INIT_TAKE1("CORSOriginMapCache", CMD_FUNC(cors_maps::set_origin_map_cache), nullptr, RSRC_CONF,
                  "Seconds a map's answer is reused and between checks of a map file (default 60)"),
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr},
};
#undef CORS_FLAG_DIRECTIVE

// ------------------------------------------------------------- configuration

extern "C" void* create_dir_config(apr_pool_t* p, char*) {
    auto* c = static_cast<DirConfig*>(apr_pcalloc(p, sizeof(DirConfig)));
#define CORS_UNSET(field, name, def, help) c->field = kUnset;
    CORS_INT_FIELDS(CORS_UNSET)
#undef CORS_UNSET
    return c;
}

// Directive by directive: a value set in the inner scope wins, an unset one inherits.
extern "C" void* merge_dir_config(apr_pool_t* p, void* base_v, void* add_v) {
    auto* base = static_cast<DirConfig*>(base_v);
    auto* add = static_cast<DirConfig*>(add_v);
    auto* c = static_cast<DirConfig*>(apr_pcalloc(p, sizeof(DirConfig)));
#define CORS_MERGE_INT(field, name, def, help) c->field = add->field != kUnset ? add->field : base->field;
#define CORS_MERGE_POINTER(field) c->field = add->field ? add->field : base->field;
    CORS_INT_FIELDS(CORS_MERGE_INT)
    CORS_POINTER_FIELDS(CORS_MERGE_POINTER)
#undef CORS_MERGE_INT
#undef CORS_MERGE_POINTER
    return c;
}

// --------------------------------------------------------------- the headers

// "Access-Control-*", case-insensitively; the first letters compared inline stop at the
// NUL of a shorter name, and set the common "Accept-*" names apart cheaply.
inline __attribute__((always_inline)) bool is_access_control(const char* name) noexcept {
    return name && (name[0] | 0x20) == 'a' && (name[1] | 0x20) == 'c' && (name[2] | 0x20) == 'c' &&
           (name[3] | 0x20) == 'e' && (name[4] | 0x20) == 's' && !strncasecmp(name, "Access-Control-", 15);
}

void unset_access_control(apr_table_t* t) {
    const apr_array_header_t* arr = apr_table_elts(t);
    const auto* e = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
    int found = 0;
    for (int i = 0; i < arr->nelts; ++i) found += is_access_control(e[i].key);
    if (!found) return;
    // Collect first: unsetting while iterating an APR table is not allowed.
    std::vector<const char*> names;
    for (int i = 0; i < arr->nelts; ++i)
        if (is_access_control(e[i].key)) names.push_back(e[i].key);
    for (const char* name : names) apr_table_unset(t, name);
}

// Folds every Vary line (the application's, mod_headers' "always" ones) and ours into one
// line of headers_out before mod_cache stores the answer: mod_cache_disk and _socache key
// a variant on the first Vary line only. httpd's fixup_vary removes repeated tokens when
// the answer is sent; `Vary: *` already covers Origin.
void merge_vary(request_rec* r, unsigned bits) {
    const bool in_app = apr_table_get(r->headers_out, "Vary");
    const bool in_err = !apr_is_empty_table(r->err_headers_out) && apr_table_get(r->err_headers_out, "Vary");
    if (!in_app && !in_err) {
        apr_table_addn(r->headers_out, "Vary", cors::vary_value(bits).data());  // a NUL-terminated literal
        return;
    }
    const char* app = in_app ? apr_table_getm(r->pool, r->headers_out, "Vary") : nullptr;
    const char* err = in_err ? apr_table_getm(r->pool, r->err_headers_out, "Vary") : nullptr;
    const char* joined = app && err ? apr_pstrcat(r->pool, app, ", ", err, nullptr) : app ? app : err;
    if (err) apr_table_unset(r->err_headers_out, "Vary");
    if (ap_find_token(r->pool, joined, "*")) {
        apr_table_setn(r->headers_out, "Vary", "*");
        return;
    }
    for (unsigned bit = 1; bit <= bits; bit <<= 1) {
        const char* token = cors::vary_value(bits & bit).data();
        if ((bits & bit) && !ap_find_token(r->pool, joined, token))
            joined = apr_pstrcat(r->pool, joined, ", ", token, nullptr);
    }
    apr_table_setn(r->headers_out, "Vary", joined);
}

// CORS-Reason's value: the reason, whose detail comes from the request (a method that is
// not a token), with every byte but visible ASCII and space replaced by '?'.
const char* reason_header(apr_pool_t* p, const char* reason) {
    char* v = apr_pstrdup(p, reason);
    for (char* c = v; *c; ++c)
        if (static_cast<unsigned char>(*c) < 0x20 || static_cast<unsigned char>(*c) > 0x7e) *c = '?';
    return v;
}

// Sets the decision's headers on the response being sent.
void apply_headers(request_rec* r, const State* s) {
    if (s->override_app) {
        unset_access_control(r->headers_out);
        unset_access_control(r->err_headers_out);
    }
    // No header of these names is left in either table (or, with the application's kept,
    // the name is skipped): added, not searched for again.
    auto set = [&](const char* name, const char* value) {
        if (!value) return;
        if (!s->override_app &&
            (apr_table_get(r->headers_out, name) || apr_table_get(r->err_headers_out, name)))
            return;
        apr_table_addn(r->headers_out, name, value);
    };
    set("Access-Control-Allow-Origin", s->allow_origin);
    set("Access-Control-Allow-Credentials", s->allow_credentials);
    set("Access-Control-Expose-Headers", s->expose_headers);
    set("Access-Control-Allow-Methods", s->allow_methods);
    set("Access-Control-Allow-Headers", s->allow_headers);
    set("Access-Control-Max-Age", s->max_age);
    set("Access-Control-Allow-Private-Network", s->allow_private_network);
    if (s->vary) merge_vary(r, s->vary);
    // CORSDebugHeader On: the reason, for the web developer's network panel.
    if (s->reason && !s->report_only && flag_or_default(s->conf->debug_header, CORS_DEFAULT_Off) == 1)
        apr_table_setn(r->headers_out, "CORS-Reason", reason_header(r->pool, s->reason));
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

const DirConfig* dir_config(const request_rec* r) {
    return static_cast<const DirConfig*>(ap_get_module_config(r->per_dir_config, &cors_module));
}

// The decision of a request, kept in its request_config.
State* state_of(const request_rec* r) {
    return static_cast<State*>(ap_get_module_config(r->request_config, &cors_module));
}

void set_state(request_rec* r, State* state) { ap_set_module_config(r->request_config, &cors_module, state); }

// httpd answers some requests it could not read (400, 408, 413, 414, 431) with fields
// still NULL: every string the glue reads goes through this.
const char* or_empty(const char* s) noexcept { return s ? s : ""; }
const char* or_dash(const char* s) noexcept { return s ? s : "-"; }

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

// The request's own origin, host part: the Host it was sent to. With an explicit scheme
// in ServerName (https://host[:port], behind a TLS-terminating proxy) the port is
// ServerName's; without a Host header, the name and port the request reached.
const char* request_host(request_rec* r, const char* host) {
    if (host && r->server->server_scheme && r->hostname) {
        const unsigned port = r->server->port ? r->server->port : apr_uri_port_of_scheme(r->server->server_scheme);
        return apr_psprintf(r->pool, strchr(r->hostname, ':') ? "[%s]:%u" : "%s:%u", r->hostname, port);
    }
    if (host) return host;
    if (!r->hostname) return "";
    return apr_psprintf(r->pool, "%s:%u", r->hostname, static_cast<unsigned>(r->connection->local_addr->port));
}

cors::Request request_view(request_rec* r) {
    cors::Request q;
    q.method = or_empty(r->method);
    const HeaderLines lines = header_lines(r->headers_in);
    q.has_origin = lines.origin_count > 0;
    if (!q.has_origin) return q;
    q.origin = or_empty(lines.origin);
    q.origin_count = lines.origin_count;
    q.scheme = ap_http_scheme(r);
    q.host = request_host(r, lines.host);
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

// A decision's header value as a C string for the State. Views into the decision's own
// buffer (the echoed Allow-Headers, Max-Age) are copied; every other view is a whole
// NUL-terminated string that outlives the request (a literal, the configuration's, one
// of the request's header values), used as it is.
const char* header_value(apr_pool_t* p, const cors::Decision& d, std::string_view v) {
    if (v.empty()) return nullptr;
    const std::less<const char*> before;
    const bool in_buffer = !before(v.data(), d.buffer_) && before(v.data(), d.buffer_ + sizeof d.buffer_);
    if (!in_buffer && v.data()[v.size()] == '\0') return v.data();
    return apr_pstrmemdup(p, v.data(), v.size());
}

State* make_state(request_rec* r, const DirConfig* conf, const cors::Policy& policy, const cors::Request& q,
                  const cors::Decision& d) {
    auto* s = static_cast<State*>(apr_pcalloc(r->pool, sizeof(State)));
    s->conf = conf;
    s->action = static_cast<int>(d.action);
    s->report_only = policy.report_only;
    s->override_app = policy.override_app_headers;
    s->vary = d.vary;
    s->allow_origin = header_value(r->pool, d, d.allow_origin);
    s->allow_credentials = header_value(r->pool, d, d.allow_credentials);
    s->expose_headers = header_value(r->pool, d, d.expose_headers);
    s->allow_methods = header_value(r->pool, d, d.allow_methods);
    s->allow_headers = header_value(r->pool, d, d.allow_headers);
    s->max_age = header_value(r->pool, d, d.max_age);
    s->allow_private_network = header_value(r->pool, d, d.allow_private_network);
    s->kind = cors::to_string(d.kind);
    s->origin = q.has_origin ? q.origin.data() : nullptr;  // the Origin header's value (request_view)
    if (!d.allowed)
        s->reason = d.reason_detail.empty()
                        ? d.reason
                        : apr_pstrcat(r->pool, d.reason, ": ",
                                      apr_pstrmemdup(r->pool, d.reason_detail.data(),
                                                     std::min(d.reason_detail.size(), kReasonDetailMax)),
                                      nullptr);
    return s;
}

// Added, not set: a request gets its CORS_* once (an internal redirect's new request has
// them renamed REDIRECT_CORS_*; the one decided again after mod_dir has them unset first).
void set_environment(request_rec* r, const State* s) {
    apr_table_addn(r->subprocess_env, "CORS_REQUEST", s->kind);
    if (s->origin) apr_table_addn(r->subprocess_env, "CORS_ORIGIN", s->origin);
    apr_table_addn(r->subprocess_env, "CORS_ALLOWED", s->reason ? "0" : "1");
    if (s->reason) apr_table_addn(r->subprocess_env, "CORS_REASON", s->reason);
}

void unset_environment(request_rec* r) {
    for (const char* name : {"CORS_REQUEST", "CORS_ORIGIN", "CORS_ALLOWED", "CORS_REASON"})
        apr_table_unset(r->subprocess_env, name);
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

// One line per decision. httpd escapes error-log lines itself; the values are only capped.
void log_decision(request_rec* r, const State* s) {
    const int level = s->reason ? APLOG_INFO : APLOG_DEBUG;
    if (!APLOG_R_IS_LEVEL(r, level)) return;
    const char* method = or_dash(r->method);
    const char* uri = or_dash(r->uri);
    if (!s->origin) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "%s %s: no Origin header, not a CORS request", method, uri);
        return;
    }
    const int origin_length = static_cast<int>(std::min(strlen(s->origin), kLoggedOriginMax));
    ap_log_rerror(APLOG_MARK, level, 0, r, "%s %s: %s request from origin '%.*s' %s%s%s", method, uri, s->kind,
                  origin_length, s->origin, action_name(s), s->reason ? ": " : "", s->reason ? s->reason : "");
}

// Decides in the request's scope, sets CORS_* and logs. Null when CORSEngine is not On.
State* decide_in_scope(request_rec* r) {
    const DirConfig* conf = dir_config(r);
    if (!engine_on(conf)) return nullptr;
    cors::Policy policy = policy_of(conf);
    const cors_maps::RequestOracle maps(r, conf->maps, policy);  // sets policy.maps
    const cors::Request q = request_view(r);
    cors::Decision d;
    cors::decide(policy, q, d);
    State* s = make_state(r, conf, policy, q, d);
    set_environment(r, s);
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
        set_environment(r, s);
    }
    return s;
}

// Acts on a decision made before the handler: answers a preflight, refuses a stranger.
int act_on(request_rec* r, const State* s) {
    if (!s || s->report_only) return DECLINED;
    switch (static_cast<cors::Action>(s->action)) {
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
            unset_environment(r);
        }
        return act_on(r, decide_in_scope(r));
    });
}

// Adds the headers filter for the response about to be made (once per output chain).
extern "C" void insert_filter(request_rec* r) {
    State* s = state_of(r);
    if (!s || r->main || s->report_only || s->filtered == r) return;
    ap_add_output_filter_handle(g_headers_filter, s, r, r->connection);
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
        if (summaries && engine_on(c))
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
extern "C" int post_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*, server_rec* s) {
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    cors_status::init(pconf, s);  // the counters in server-status, when mod_status is loaded
    try {
        check_scopes(s, true);
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "start-up checks failed: %s", e.what());
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    g_scopes = nullptr;
    return OK;
}

// The counters in server-status (status.cpp): the final decision of each request, counted
// once when the request is logged (subrequests are not; an ErrorDocument page or an
// internal redirect is part of the request it serves).
extern "C" int log_transaction(request_rec* r) {
    if (!cors_status::enabled()) return DECLINED;
    const request_rec* last = r;
    while (last->next) last = last->next;
    if (const State* s = state_of(last)) cors_status::count(r, s->kind, s->reason, s->report_only, s->origin);
    return DECLINED;
}

extern "C" void register_hooks(apr_pool_t* p) {
    cors_status::register_hooks(p);
    cors_maps::register_hooks(p);
    ap_hook_pre_config(pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_header_parser(header_parser, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_fixups(fixups, nullptr, nullptr, APR_HOOK_REALLY_LAST);
    ap_hook_insert_filter(insert_filter, nullptr, nullptr, APR_HOOK_REALLY_LAST);
    ap_hook_insert_error_filter(insert_error_filter, nullptr, nullptr, APR_HOOK_REALLY_LAST);
    // Before mod_log_config's: once a request is in the access log, it is counted.
    ap_hook_log_transaction(log_transaction, nullptr, nullptr, APR_HOOK_FIRST);
    // AP_FTYPE_CONTENT_SET, inserted after mod_headers' filter of the same type (its
    // insert_filter hook is LAST): its Access-Control-* and Vary lines are seen. Before
    // mod_cache's CACHE_SAVE (CONTENT_SET + 1), so that what a cache stores carries our
    // headers; mod_deflate and mod_brotli, where they come after, merge their Vary into ours.
    g_headers_filter = ap_register_output_filter(kFilterName, headers_filter, nullptr, AP_FTYPE_CONTENT_SET);
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
    cors_directives,
    register_hooks,
    AP_MODULE_FLAG_NONE,
};
}

// The per-directory configuration (config.hpp): directives, merge, policy, start-up checks.

#include "config.hpp"
#include "policy_view.hpp"

#include "http_core.h"
#include "http_main.h"
#include "ap_mpm.h"
#include "apr_tables.h"

#include <string>
#include <vector>

namespace cors_glue {

cors::Policy policy_of(const DirConfig* c) noexcept {
#define CORS_FLAG_VALUE(field, name, def, help) const bool field = flag_or_default(c->field, CORS_DEFAULT_##def) == 1;
    CORS_FLAGS(CORS_FLAG_VALUE)
#undef CORS_FLAG_VALUE
    (void)engine;
    (void)debug_header;  // not policy: apply_headers reads it
    (void)export_env;    // not policy: keep_decision reads it
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

namespace {

// Scopes configured in the main configuration, for the warnings and the summary
// logged at start-up. Rebuilt at every configuration load (pre_config).
apr_array_header_t* g_scopes = nullptr;


// Notes the scope for the start-up checks, and where it was configured.
void touch_scope(cmd_parms* cmd, DirConfig* c) {
    if (!c->where && cmd->directive)
        c->where = apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename, cmd->directive->line_num);
    if (g_scopes && !c->registered) {
        c->registered = 1;
        APR_ARRAY_PUSH(g_scopes, DirConfig*) = c;
    }
    note_directive(cmd, c);  // the policy view: the scope, its section, the line
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

}  // namespace

const command_rec directives[] = {
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
    AP_INIT_FLAG("CORSStrict", CMD_FUNC(set_strict), nullptr, RSRC_CONF,
                 "On|Off: the configuration warnings (unsafe patterns, http:// with credentials, null, no-ops) "
                 "are errors (default Off)"),
    AP_INIT_TAKE1("CORSOriginMapCache", CMD_FUNC(cors_maps::set_origin_map_cache), nullptr, RSRC_CONF,
                  "Seconds a map's answer is reused and between checks of a map file (default 60)"),
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr},
};
#undef CORS_FLAG_DIRECTIVE

// ------------------------------------------------------------- configuration

void* create_dir_config(apr_pool_t* p, char*) {
    auto* c = static_cast<DirConfig*>(apr_pcalloc(p, sizeof(DirConfig)));
#define CORS_UNSET(field, name, def, help) c->field = kUnset;
    CORS_INT_FIELDS(CORS_UNSET)
#undef CORS_UNSET
    return c;
}

// Directive by directive: a value set in the inner scope wins, an unset one inherits.
void* merge_dir_config(apr_pool_t* p, void* base_v, void* add_v) {
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

const DirConfig* dir_config(const request_rec* r) {
    return static_cast<const DirConfig*>(ap_get_module_config(r->per_dir_config, &cors_module));
}

// ---------------------------------------------------------------- start-up

int pre_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*) {
    g_scopes = apr_array_make(pconf, 8, sizeof(DirConfig*));
    view_pre_config(pconf);
    return OK;
}

std::string summary_of(const DirConfig* c) {
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

// The checks of every scope on what it inherits (policy_view.cpp): under `apachectl -t`
// its warnings are printed; its errors, and its warnings under CORSStrict On, fail the
// configuration, at a start as under -t.
int check_config(apr_pool_t*, apr_pool_t* ptemp, apr_pool_t*, server_rec* s) {
    try {
        return view_check(ptemp, s);
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, CORS_LOGNO(00405) "start-up checks failed: %s", e.what());
        return HTTP_INTERNAL_SERVER_ERROR;
    }
}

// At a real start, into the error log; the list is not needed after that.
void log_scopes(server_rec* s) {
    view_log(s);
    g_scopes = nullptr;
}

}  // namespace cors_glue

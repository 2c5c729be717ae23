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

// The engine's Policy reads what a default-constructed one says as the directives' defaults
// (the unit tests build Policies that way): the two agree, value by value.
constexpr cors::Policy kPolicyDefaults{};
static_assert(kPolicyDefaults.credentials == (kDefaults.credentials == 1) &&
                  kPolicyDefaults.private_network == (kDefaults.private_network == 1) &&
                  kPolicyDefaults.reject == (kDefaults.reject == 1) &&
                  kPolicyDefaults.report_only == (kDefaults.report_only == 1) &&
                  kPolicyDefaults.override_app_headers == (kDefaults.override_app == 1) &&
                  kPolicyDefaults.max_age == kDefaults.max_age &&
                  static_cast<int>(kPolicyDefaults.preflight) == kDefaults.preflight,
              "cors::Policy's defaults are the directives' (config.hpp)");

cors::Policy policy_of(const DirConfig* c) noexcept {
    cors::Policy p;
    p.origins = c->origins;
    p.patterns = c->patterns;
    p.methods = c->methods;
    p.allow_headers = c->allow_headers;
    p.expose_headers = c->expose_headers;
    p.credentials = setting(c, &DirConfig::credentials) == 1;
    p.max_age = setting(c, &DirConfig::max_age);
    p.private_network = setting(c, &DirConfig::private_network) == 1;
    p.preflight = static_cast<cors::PreflightMode>(setting(c, &DirConfig::preflight));
    p.reject = setting(c, &DirConfig::reject) == 1;
    p.report_only = setting(c, &DirConfig::report_only) == 1;
    p.override_app_headers = setting(c, &DirConfig::override_app) == 1;
    return p;  // engine, debug_header and export_env are not policy: the glue reads them
}

bool engine_on(const DirConfig* c) noexcept { return c && setting(c, &DirConfig::engine) == 1; }

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

// Errors that need more than one directive of the scope, after each directive. Only the
// errors: the warnings (the counterexamples, which try every listed origin and pattern) are
// computed once per scope at start-up (log_scopes); here they would be once per argument.
const char* check_scope(cmd_parms* cmd, DirConfig* c) {
    std::vector<std::string> errors;
    cors::check_policy_errors(policy_of(c), errors);
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
        return check_scope(cmd, c);
    });
}

extern "C" const char* set_preflight(cmd_parms* cmd, void* dc, const char* arg) {
    return guarded(cmd, [&]() -> const char* {
        auto* c = static_cast<DirConfig*>(dc);
        if (!strcasecmp(arg, "Handle")) c->preflight = static_cast<int>(cors::PreflightMode::Handle);
        else if (!strcasecmp(arg, "Pass")) c->preflight = static_cast<int>(cors::PreflightMode::Pass);
        else return error_text(cmd, "'" + std::string(arg) + "' is neither Handle nor Pass");
        touch_scope(cmd, c);
        return check_scope(cmd, c);
    });
}

extern "C" const char* set_allow_origin_map(cmd_parms* cmd, void* dc, const char* arg) {
    auto* c = static_cast<DirConfig*>(dc);
    if (const char* error = cors_maps::allow_origin_map(cmd, c->maps, arg)) return error;
    touch_scope(cmd, c);
    return check_scope(cmd, c);
}

// In C++ the command table needs the cast that C does implicitly.
#define CMD_FUNC(fn) reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(fn))
#define CORS_FLAG_DIRECTIVE(field, name, def, help)                                                   \
    AP_INIT_FLAG(name, CMD_FUNC(set_flag), reinterpret_cast<void*>(offsetof(DirConfig, field)), OR_FILEINFO, \
                 "On|Off: " help " (default " #def ")"),

}  // namespace

// The setter and the argument form of each CORS_VALUES and CORS_LISTS directive.
#define CORS_SETTER_max_age AP_INIT_TAKE1, set_max_age
#define CORS_SETTER_preflight AP_INIT_TAKE1, set_preflight
#define CORS_SETTER_origins AP_INIT_ITERATE, set_allow_origin
#define CORS_SETTER_patterns AP_INIT_TAKE1, set_allow_origin_match
#define CORS_SETTER_methods AP_INIT_ITERATE, set_allow_methods
#define CORS_SETTER_allow_headers AP_INIT_ITERATE, set_allow_headers
#define CORS_SETTER_expose_headers AP_INIT_ITERATE, set_expose_headers
#define CORS_SETTER_maps AP_INIT_ITERATE, set_allow_origin_map
#define CORS_APPLY(form, setter, name, help) form(name, CMD_FUNC(setter), nullptr, OR_FILEINFO, help),
#define CORS_APPLY_(...) CORS_APPLY(__VA_ARGS__)  // CORS_SETTER_x expanded into its two arguments first
#define CORS_VALUE_DIRECTIVE(field, name, def, said, help) \
    CORS_APPLY_(CORS_SETTER_##field, name, help " (default " said ")")
#define CORS_LIST_DIRECTIVE(type, field, name, said, help) \
    CORS_APPLY_(CORS_SETTER_##field, name, help " (default " said ")")

const command_rec directives[] = {
    CORS_FLAGS(CORS_FLAG_DIRECTIVE)
    CORS_LISTS(CORS_LIST_DIRECTIVE)
    CORS_VALUES(CORS_VALUE_DIRECTIVE)
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
#undef CORS_VALUE_DIRECTIVE
#undef CORS_LIST_DIRECTIVE

// ------------------------------------------------------------- configuration

// Every field unset (lists null by the zeroing).
void* create_dir_config(apr_pool_t* p, char*) {
    auto* c = static_cast<DirConfig*>(apr_pcalloc(p, sizeof(DirConfig)));
#define CORS_UNSET(field, ...) c->field = kUnset;
    CORS_FLAGS(CORS_UNSET)
    CORS_VALUES(CORS_UNSET)
#undef CORS_UNSET
    return c;
}

// Directive by directive: a value set in the inner scope wins, an unset one inherits.
void* merge_dir_config(apr_pool_t* p, void* base_v, void* add_v) {
    auto* base = static_cast<DirConfig*>(base_v);
    auto* add = static_cast<DirConfig*>(add_v);
    auto* c = static_cast<DirConfig*>(apr_pcalloc(p, sizeof(DirConfig)));
#define CORS_MERGE(field) c->field = is_set(add->field) ? add->field : base->field;
#define CORS_MERGE_FLAG(field, ...) CORS_MERGE(field)
#define CORS_MERGE_LIST(type, field, ...) CORS_MERGE(field)
    CORS_FLAGS(CORS_MERGE_FLAG)
    CORS_VALUES(CORS_MERGE_FLAG)
    CORS_LISTS(CORS_MERGE_LIST)
#undef CORS_MERGE_LIST
#undef CORS_MERGE_FLAG
#undef CORS_MERGE
    c->where = add->where ? add->where : base->where;
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
#define CORS_SAID(type, field, name, said, help) const char* const said_##field = said;
    CORS_LISTS(CORS_SAID)
#undef CORS_SAID
    (void)said_origins, (void)said_patterns, (void)said_maps;
    std::string s = "origins: ";
    s += std::to_string(p.origins ? p.origins->size() : 0) + " rules, ";
    s += std::to_string(p.patterns ? p.patterns->patterns().size() : 0) + " patterns";
    s += "; methods: " + list(p.methods, said_methods);
    s += "; headers: " + list(p.allow_headers, said_allow_headers);
    s += "; exposed: " + list(p.expose_headers, said_expose_headers);
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

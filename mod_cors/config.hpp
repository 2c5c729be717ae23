// The per-directory configuration: the directives, the merge, and what a scope's merged
// values mean as a cors::Policy; the start-up checks and summary of every scope.
#pragma once

#include "glue.hpp"
#include "engine/decision.hpp"
#include "origin_maps.hpp"

#include <cstddef>
#include <string>

namespace cors_glue {


// Every per-directory directive, in one table: the struct, its "unset" state, the merge,
// the defaults (kDefaults, read through setting()), the help strings (`apache2 -L`, which
// the docs check compares with the manual's Default rows) all come from these lists.
//
// The On|Off directives: field, directive, default, help.
#define CORS_FLAGS(X)                                                                              \
    X(engine, "CORSEngine", Off, "handle CORS in this scope")                                     \
    X(credentials, "CORSAllowCredentials", Off, "send Access-Control-Allow-Credentials: true")    \
    X(private_network, "CORSAllowPrivateNetwork", Off,                                            \
      "answer Access-Control-Request-Private-Network")                                            \
    X(reject, "CORSReject", On, "refuse requests from origins not allowed with 403")              \
    X(report_only, "CORSReportOnly", Off, "only log and keep the decision in CORS_* notes, change nothing") \
    X(override_app, "CORSOverrideAppHeaders", On, "remove Access-Control-* headers the application set") \
    X(debug_header, "CORSDebugHeader", Off, "send CORS-Reason: <reason> on answers the policy refuses") \
    X(export_env, "CORSExportEnv", Off, "also set the CORS_* notes as environment variables")
#define CORS_DEFAULT_On 1
#define CORS_DEFAULT_Off 0

// The one-value directives (an int each; unset: kUnset): field, directive, default, the
// default as the help string says it, help.
#define CORS_VALUES(X)                                                                             \
    X(max_age, "CORSMaxAge", -1, "none: no header",                                                \
      "Seconds a browser may cache a preflight answer, 0 to 86400")                                \
    X(preflight, "CORSPreflight", static_cast<int>(cors::PreflightMode::Handle), "Handle",         \
      "Handle|Pass: answer preflights here, or pass allowed ones on")

// The list directives (an object owned by the configuration pool; unset: null, which is also
// the default, as the engine reads it): type, field, directive, default as said, help.
#define CORS_LISTS(X)                                                                              \
    X(cors::OriginRules, origins, "CORSAllowOrigin", "none",                                       \
      "Allowed origins: scheme://host[:port], scheme://*.domain[:port], scheme://host:*, *, null") \
    X(cors::PatternList, patterns, "CORSAllowOriginMatch", "none",                                 \
      "A PCRE2 pattern for allowed origins, plain or as written for PHP's preg_match()")          \
    X(cors::NameList, methods, "CORSAllowMethods", "GET HEAD POST", "Methods a preflight may ask for, or *") \
    X(cors::NameList, allow_headers, "CORSAllowHeaders", "none",                                   \
      "Request headers a preflight may ask for, or * (Authorization must be named)")               \
    X(cors::NameList, expose_headers, "CORSExposeHeaders", "none", "Response headers scripts may read, or *") \
    X(cors_maps::AllowList, maps, "CORSAllowOriginMap", "none",                                    \
      "Names of origin maps (CORSOriginMap) whose origins are allowed")

// Per-directory configuration. Plain data; the C++ objects it points to are owned by the
// pool the directive was read with (a pool cleanup deletes them).
struct DirConfig {
#define CORS_FLAG_FIELD(field, name, def, help) int field;  // kUnset, 0 or 1
    CORS_FLAGS(CORS_FLAG_FIELD)
#undef CORS_FLAG_FIELD
#define CORS_VALUE_FIELD(field, name, def, said, help) int field;  // kUnset or the value
    CORS_VALUES(CORS_VALUE_FIELD)
#undef CORS_VALUE_FIELD
#define CORS_LIST_FIELD(type, field, name, said, help) type* field;  // null: unset
    CORS_LISTS(CORS_LIST_FIELD)
#undef CORS_LIST_FIELD
    const char* where;      // "file:line" of the scope's first CORS directive (inherited)
    int registered;         // listed in g_scopes for the start-up checks (not merged)
};

// "Unset" is decoded here only.
constexpr bool is_set(int value) noexcept { return value != kUnset; }
template <class T>
constexpr bool is_set(T* value) noexcept { return value != nullptr; }

// Every directive's default: what a scope where no scope sets it gets.
constexpr DirConfig make_defaults() noexcept {
    DirConfig d{};
#define CORS_FLAG_DEFAULT(field, name, def, help) d.field = CORS_DEFAULT_##def;
    CORS_FLAGS(CORS_FLAG_DEFAULT)
#undef CORS_FLAG_DEFAULT
#define CORS_VALUE_DEFAULT(field, name, def, said, help) d.field = def;
    CORS_VALUES(CORS_VALUE_DEFAULT)
#undef CORS_VALUE_DEFAULT
    return d;
}
inline constexpr DirConfig kDefaults = make_defaults();

// The one accessor: a merged scope's value of a directive, or its default.
template <class T>
constexpr T setting(const DirConfig* c, T DirConfig::*field) noexcept {
    return is_set(c->*field) ? c->*field : kDefaults.*field;
}

const DirConfig* dir_config(const request_rec* r);
cors::Policy policy_of(const DirConfig* c) noexcept;
bool engine_on(const DirConfig* c) noexcept;

extern const command_rec directives[];
void* create_dir_config(apr_pool_t* p, char*);
void* merge_dir_config(apr_pool_t* p, void* base_v, void* add_v);

// The start-up hooks: the scopes of the main configuration are collected while it is read,
// checked and summarised once it is complete.
int pre_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*);
int check_config(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s);
// One line saying what a (merged) scope's policy is, for the start-up summary and DUMP_CORS.
std::string summary_of(const DirConfig* c);
// At a real start: the warnings and a summary of each enabled scope into the error log.
void log_scopes(server_rec* s);

}  // namespace cors_glue

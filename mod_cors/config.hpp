// The per-directory configuration: the directives, the merge, and what a scope's merged
// values mean as a cors::Policy; the start-up checks and summary of every scope.
#pragma once

#include "glue.hpp"
#include "engine/decision.hpp"
#include "origin_maps.hpp"

#include <cstddef>
#include <string>

namespace cors_glue {


// The On|Off directives: field, directive, default, help. The one place their defaults live:
// the merge result (policy_of), the help strings (`apache2 -L`, which the docs check reads)
// and the documentation check all come from here.
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
inline int flag_or_default(int value, int def) noexcept { return value == kUnset ? def : value; }

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

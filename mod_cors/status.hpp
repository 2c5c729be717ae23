// mod_cors in server-status: counters of the decisions, totals over every child
// process and thread since the server last started, refusals by reason, and a
// bounded ring of the latest refusals, shown through mod_status' status_hook.
//
// The numbers live in anonymous shared memory created by the parent in post_config
// (inherited by every child across fork, created afresh at every restart, so a
// graceful restart starts from zero). Counting is an atomic add on it; a refusal
// also claims one ring slot with a compare-and-swap on the slot's sequence number.
// Nothing takes a lock. Without mod_status there is no shared memory and count()
// costs one null check.
#pragma once

#include "httpd.h"
#include "apr_pools.h"

#include "engine/decision.hpp"

namespace cors_status {

struct Area;
extern Area* g_area;  // null: mod_status is not loaded (or the memory could not be had)

// From register_hooks: the status_hook (inert unless mod_status runs it).
void register_hooks(apr_pool_t* p);

// From post_config at a real start (not the first, configuration-only pass): creates
// the shared memory when mod_status is loaded. Never fails the start: without the
// memory the module works and counts nothing (logged at warn).
void init(apr_pool_t* pconf, server_rec* s);

// The slow part of count(): only reached when the counters exist.
void record(const request_rec* r, cors::RequestKind kind, cors::Reason reason, const char* reason_text,
            bool report_only, const char* origin) noexcept;

// True when the counters exist (mod_status is loaded).
inline bool enabled() noexcept { return g_area != nullptr; }

// Counts the final decision of one request, once, when it is logged: `r` the request
// as received (its method and URI go into the latest refusals), its kind, its reason
// (None when allowed) and CORS_REASON, whether the scope is report-only, and the Origin.
inline void count(const request_rec* r, cors::RequestKind kind, cors::Reason reason, const char* reason_text,
                  bool report_only, const char* origin) noexcept {
    if (g_area) record(r, kind, reason, reason_text, report_only, origin);
}

}  // namespace cors_status

// mod_cors in server-status: see status.hpp.

#include "status.hpp"
#include "glue.hpp"

#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_optional_hooks.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "util_time.h"

extern "C" {
#include "mod_status.h"
}

#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>

#include "engine/decision.hpp"


namespace cors_status {

namespace {

// Refusals are counted by cors::Reason, named by its text (cors::to_string).
constexpr std::size_t kReasonCount = cors::kReasons;

// The latest refusals kept (the ring's bound), and the bytes kept of each text.
constexpr std::size_t kRingSize = 32;
constexpr std::size_t kOriginBytes = 128;
constexpr std::size_t kReasonBytes = 128;
constexpr std::size_t kUriBytes = 192;
constexpr std::size_t kMethodBytes = 24;
constexpr const char* kTimeFormat = "%d-%b-%Y %H:%M:%S %Z";  // local time, as mod_status shows

using Counter = std::atomic<std::uint64_t>;
static_assert(Counter::is_always_lock_free, "the counters need lock-free 64-bit atomics");

// One refusal. `seq` is 2 * ticket + 2 once written, odd while a writer fills it in.
struct Slot {
    Counter seq;
    apr_time_t time;
    unsigned char kind;         // cors::RequestKind
    unsigned char report_only;
    char method[kMethodBytes];
    char origin[kOriginBytes];
    char reason[kReasonBytes];
    char uri[kUriBytes];
};

}  // namespace

// The shared memory: one per server generation (start or restart).
struct Area {
    apr_time_t started;
    alignas(64) Counter allowed;
    Counter refused;
    Counter preflights;
    Counter same_origin;
    Counter report_only_refused;
    Counter by_reason[kReasonCount];
    alignas(64) Counter ring_next;  // tickets handed out so far
    Slot ring[kRingSize];
};

Area* g_area = nullptr;

namespace {

apr_status_t forget_area(void*) {
    g_area = nullptr;
    return APR_SUCCESS;
}

// Copies `src` into `dst[size]`, NUL-terminated; control bytes become '?'; a text cut
// short ends in "...".
void copy_text(char* dst, std::size_t size, const char* src) noexcept {
    std::size_t i = 0;
    if (src)
        for (; src[i] && i + 1 < size; ++i) {
            const auto c = static_cast<unsigned char>(src[i]);
            dst[i] = (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
        }
    dst[i] = '\0';
    if (src && src[i] && size > 4) std::memcpy(dst + size - 4, "...", 4);
}

// A refusal: its reason and its slot in the ring. Out of line, so that the path of an
// allowed request stays a few instructions.
__attribute__((noinline, cold)) void remember(const request_rec* r, cors::RequestKind kind, bool report_only,
                                              cors::Reason reason, const char* reason_text,
                                              const char* origin) noexcept {
    Area* a = g_area;
    a->refused.fetch_add(1, std::memory_order_relaxed);
    if (report_only) a->report_only_refused.fetch_add(1, std::memory_order_relaxed);
    a->by_reason[static_cast<std::size_t>(reason) % kReasonCount].fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t ticket = g_area->ring_next.fetch_add(1, std::memory_order_relaxed);
    Slot& slot = g_area->ring[ticket % kRingSize];
    std::uint64_t seen = slot.seq.load(std::memory_order_relaxed);
    // Another writer is in the slot, or a newer refusal is already there: drop this one.
    if ((seen & 1) || seen > 2 * ticket) return;
    if (!slot.seq.compare_exchange_strong(seen, 2 * ticket + 1, std::memory_order_acquire,
                                          std::memory_order_relaxed))
        return;
    std::atomic_thread_fence(std::memory_order_release);
    slot.time = r->request_time;
    slot.kind = static_cast<unsigned char>(kind);
    slot.report_only = report_only;
    copy_text(slot.method, sizeof slot.method, r->method ? r->method : "-");
    copy_text(slot.origin, sizeof slot.origin, origin);
    copy_text(slot.reason, sizeof slot.reason, reason_text);
    copy_text(slot.uri, sizeof slot.uri, r->uri ? r->uri : "-");
    slot.seq.store(2 * ticket + 2, std::memory_order_release);
}

// A consistent copy of the refusal with `ticket`, or false (overwritten or being written).
bool read_slot(std::uint64_t ticket, Slot& out) noexcept {
    const Slot& slot = g_area->ring[ticket % kRingSize];
    const std::uint64_t want = 2 * ticket + 2;
    if (slot.seq.load(std::memory_order_acquire) != want) return false;
    out.time = slot.time;
    out.kind = slot.kind;
    out.report_only = slot.report_only;
    std::memcpy(out.method, slot.method, sizeof out.method);
    std::memcpy(out.origin, slot.origin, sizeof out.origin);
    std::memcpy(out.reason, slot.reason, sizeof out.reason);
    std::memcpy(out.uri, slot.uri, sizeof out.uri);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot.seq.load(std::memory_order_relaxed) != want) return false;
    out.method[sizeof out.method - 1] = out.origin[sizeof out.origin - 1] = '\0';
    out.reason[sizeof out.reason - 1] = out.uri[sizeof out.uri - 1] = '\0';
    return true;
}

std::uint64_t load(const Counter& c) noexcept { return c.load(std::memory_order_relaxed); }

const char* html(request_rec* r, const char* text) { return ap_escape_html2(r->pool, text, 1); }

void short_report(request_rec* r) {
    ap_rprintf(r, "CORSAllowed: %" APR_UINT64_T_FMT "\n", load(g_area->allowed));
    ap_rprintf(r, "CORSRefused: %" APR_UINT64_T_FMT "\n", load(g_area->refused));
    ap_rprintf(r, "CORSPreflights: %" APR_UINT64_T_FMT "\n", load(g_area->preflights));
    ap_rprintf(r, "CORSSameOrigin: %" APR_UINT64_T_FMT "\n", load(g_area->same_origin));
}

void html_report(request_rec* r) {
    ap_rputs("<hr />\n<h2><a name=\"cors\">CORS</a></h2>\n", r);
    ap_rprintf(r, "<p>Since %s, over every child and thread:</p>\n",
               html(r, ap_ht_time(r->pool, g_area->started, kTimeFormat, 0)));
    ap_rputs("<table class=\"cors-counts\" border=\"0\">\n", r);
    auto row = [&](const char* name, std::uint64_t n) {
        ap_rprintf(r, "<tr><th align=\"left\">%s</th><td align=\"right\">%" APR_UINT64_T_FMT "</td></tr>\n",
                   name, n);
    };
    row("Allowed cross-origin requests", load(g_area->allowed));
    row("Refused cross-origin requests", load(g_area->refused));
    row("&nbsp;&nbsp;of which in report-only scopes (not enforced)", load(g_area->report_only_refused));
    row("Preflights", load(g_area->preflights));
    row("Same-origin requests with an Origin", load(g_area->same_origin));
    ap_rputs("</table>\n", r);

    ap_rputs("<h3>Refusals by reason</h3>\n<table class=\"cors-reasons\" border=\"0\">\n"
             "<tr><th align=\"left\">Reason</th><th align=\"right\">Count</th></tr>\n", r);
    bool any = false;
    for (std::size_t i = 0; i < kReasonCount; ++i) {
        const std::uint64_t n = load(g_area->by_reason[i]);
        if (!n) continue;
        any = true;
        ap_rprintf(r, "<tr><td>%s</td><td align=\"right\">%" APR_UINT64_T_FMT "</td></tr>\n",
                   html(r, cors::to_string(static_cast<cors::Reason>(i))), n);
    }
    if (!any) ap_rputs("<tr><td colspan=\"2\">none</td></tr>\n", r);
    ap_rputs("</table>\n", r);

    const std::uint64_t next = g_area->ring_next.load(std::memory_order_acquire);
    ap_rprintf(r, "<h3>Latest refusals</h3>\n<p>The %u most recent, newest first.</p>\n",
               static_cast<unsigned>(kRingSize));
    ap_rputs("<table class=\"cors-refusals\" border=\"0\">\n<tr><th>Time</th><th>Request</th>"
             "<th>Method</th><th>Origin</th><th>URI</th><th>Reason</th><th>Mode</th></tr>\n", r);
    Slot copy;
    unsigned shown = 0;
    for (std::uint64_t t = next; t > 0 && next - t < kRingSize; --t) {
        if (!read_slot(t - 1, copy)) continue;
        ++shown;
        ap_rprintf(r, "<tr class=\"cors-refusal\"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                      "<td>%s</td><td>%s</td></tr>\n",
                   html(r, ap_ht_time(r->pool, copy.time, kTimeFormat, 0)),
                   cors::to_string(static_cast<cors::RequestKind>(copy.kind)), html(r, copy.method),
                   html(r, copy.origin), html(r, copy.uri), html(r, copy.reason),
                   copy.report_only ? "report only" : "enforced");
    }
    if (!shown) ap_rputs("<tr><td colspan=\"7\">none</td></tr>\n", r);
    ap_rputs("</table>\n", r);
}

extern "C" int status_hook(request_rec* r, int flags) {
    if (!g_area) return DECLINED;
    if (flags & AP_STATUS_SHORT)
        short_report(r);
    else
        html_report(r);
    return OK;
}

}  // namespace

void register_hooks(apr_pool_t*) {
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, nullptr, nullptr, APR_HOOK_MIDDLE);
}

void init(apr_pool_t* pconf, server_rec* s) {
    g_area = nullptr;
    if (!ap_find_linked_module("mod_status.c")) return;
    apr_shm_t* shm = nullptr;
    const apr_status_t rv = apr_shm_create(&shm, sizeof(Area), nullptr, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     CORS_LOGNO(00301) "no shared memory for the CORS counters in server-status; counting nothing");
        return;
    }
    void* base = apr_shm_baseaddr_get(shm);
    std::memset(base, 0, sizeof(Area));
    auto* area = new (base) Area();
    area->started = apr_time_now();
    g_area = area;
    // Registered after the memory's own cleanup, so it runs first.
    apr_pool_cleanup_register(pconf, nullptr, forget_area, apr_pool_cleanup_null);
}

void record(const request_rec* r, cors::RequestKind kind, cors::Reason reason, const char* reason_text,
            bool report_only, const char* origin) noexcept {
    Area* a = g_area;
    switch (kind) {
        case cors::RequestKind::SameOrigin:
            a->same_origin.fetch_add(1, std::memory_order_relaxed);
            return;
        case cors::RequestKind::Preflight:
            a->preflights.fetch_add(1, std::memory_order_relaxed);
            break;
        case cors::RequestKind::Actual:
            break;
        case cors::RequestKind::None:
            return;
    }
    if (reason != cors::Reason::None)
        remember(r, kind, report_only, reason, reason_text, origin);
    else
        a->allowed.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace cors_status

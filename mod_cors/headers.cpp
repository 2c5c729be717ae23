// The headers filter (headers.hpp).

#include "headers.hpp"

#include "http_protocol.h"
#include "apr_tables.h"

#include <vector>

namespace cors_glue {

namespace {

constexpr const char* kFilterName = "CORS_HEADERS";

// The headers filter, registered once per load of the module.
ap_filter_rec_t* g_headers_filter = nullptr;

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
    if (s->refused() && !s->report_only && setting(s->conf, &DirConfig::debug_header) == 1)
        apr_table_setn(r->headers_out, "CORS-Reason", reason_header(r->pool, s->reason_text));
}

extern "C" apr_status_t headers_filter(ap_filter_t* f, apr_bucket_brigade* bb) {
    try {
        apply_headers(f->r, static_cast<const State*>(f->ctx));
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, f->r, CORS_LOGNO(00120) "could not set the CORS headers");
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

}  // namespace

State* state_of(const request_rec* r) {
    return static_cast<State*>(ap_get_module_config(r->request_config, &cors_module));
}

void set_state(request_rec* r, State* state) { ap_set_module_config(r->request_config, &cors_module, state); }

// AP_FTYPE_CONTENT_SET, inserted after mod_headers' filter of the same type (its
// insert_filter hook is LAST): its Access-Control-* and Vary lines are seen. Before
// mod_cache's CACHE_SAVE (CONTENT_SET + 1), so that what a cache stores carries our
// headers; mod_deflate and mod_brotli, where they come after, merge their Vary into ours.
void register_headers_filter() {
    g_headers_filter = ap_register_output_filter(kFilterName, headers_filter, nullptr, AP_FTYPE_CONTENT_SET);
}

void add_headers_filter(request_rec* r, State* s) { ap_add_output_filter_handle(g_headers_filter, s, r, r->connection); }

}  // namespace cors_glue

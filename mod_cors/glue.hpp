// The glue's private header (as mod_h2's h2_private.h): what every httpd-facing file of
// mod_cors shares. Including it makes the file log under the module's tag, so that
// `LogLevel cors:debug` reaches its lines.
#pragma once

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_pools.h"
#include "apr_strings.h"

#include <exception>
#include <string>
#include <string_view>
#include <utility>

extern "C" module AP_MODULE_DECLARE_DATA cors_module;
APLOG_USE_MODULE(cors);

// The module's own log-message identifiers, in the way of httpd's APLOGNO: a line starts
// with "CORSnnnnn: ", which tests and administrators match instead of the English text.
// Each number is used once; ranges: 00100 the hooks and headers, 00200 the origin maps,
// 00300 the counters, 00400 the start-up checks and the policy view.
#define CORS_LOGNO(n) "CORS" #n ": "

namespace cors_glue {

// An int directive value not set in a scope (it inherits).
constexpr int kUnset = -1;

template <class T>
apr_status_t delete_object(void* p) {
    delete static_cast<T*>(p);
    return APR_SUCCESS;
}

// A C++ object owned by `pool`: deleted by the pool's cleanup.
template <class T, class... Args>
T* pool_owned(apr_pool_t* pool, Args&&... args) {
    T* object = new T(std::forward<Args>(args)...);
    apr_pool_cleanup_register(pool, object, delete_object<T>, apr_pool_cleanup_null);
    return object;
}

// A configuration value or a request's value quoted in a message: at most `limit` bytes
// (httpd cuts log lines at about 8 KB), the length said when cut.
inline std::string shortened(std::string_view value, std::size_t limit = 200) {
    if (value.size() <= limit) return std::string(value);
    return std::string(value.substr(0, limit)) + "... (" + std::to_string(value.size()) + " bytes)";
}

// A directive's error: httpd prints it with the file and line.
inline const char* error_text(cmd_parms* cmd, const std::string& message) {
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

// httpd answers some requests it could not read (400, 408, 413, 414, 431) with fields
// still NULL: every string the glue reads from a request goes through these.
inline const char* or_empty(const char* s) noexcept { return s ? s : ""; }
inline const char* or_dash(const char* s) noexcept { return s ? s : "-"; }

}  // namespace cors_glue

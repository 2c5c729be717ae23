// Origin maps, the httpd side (contract.md "Origin maps"). A map is defined per
// server (CORSOriginMap, like RewriteMap) and listed by scopes (CORSAllowOriginMap).
//
// txt: and dbm: are read whole into a hashed set (cors::OriginRules, the structure
// of CORSAllowOrigin's exact origins). Every CORSOriginMapCache seconds at most, one
// thread of the process stats the file and, when it changed, builds a new set and
// publishes it; readers keep a per-thread copy of the shared pointer and only take a
// lock when a new set was published. A file that cannot be read keeps the last set.
//
// dbd: asks mod_dbd (a statement prepared at configuration time) through a bounded
// per-process cache of its answers (cors::AnswerCache).

#include "origin_maps.hpp"
#include "glue.hpp"

#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_request.h"
#include "apr_dbd.h"
#include "apr_dbm.h"
#include "apr_file_info.h"
#include "apr_file_io.h"
#include "apr_optional.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "mod_dbd.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>


namespace cors_maps {

struct AllowList {
    std::vector<std::string> names;
    server_rec* server = nullptr;   // where the directive was read: names resolve there
    std::string where;              // "file:line"
};

namespace {

using cors_glue::error_text;
using cors_glue::kUnset;
using cors_glue::pool_owned;
constexpr int kDefaultCacheSeconds = 60;
constexpr int kMaxCacheSeconds = 31536000;
constexpr std::size_t kCacheEntries = 4096;     // per dbd: map and process
constexpr std::size_t kLoggedProblems = 20;     // invalid lines logged per load
constexpr const char* kLabelPrefix = "cors_origin_map_";

enum class Type { Txt, Dbm, Dbd };

// What identifies one version of a map's file(s).
struct Signature {
    apr_time_t mtime[2] = {0, 0};
    apr_off_t size[2] = {-1, -1};
    apr_ino_t inode[2] = {0, 0};
    bool operator==(const Signature& o) const {
        return std::equal(mtime, mtime + 2, o.mtime) && std::equal(size, size + 2, o.size) &&
               std::equal(inode, inode + 2, o.inode);
    }
};

std::atomic<std::uint64_t> g_next_map_id{1};

struct Map {
    std::string name;
    Type type = Type::Txt;
    std::string path;               // txt:, dbm:
    std::string dbm_type;           // dbm:
    std::string query;              // dbd:
    std::string label;              // dbd: the prepared statement's label
    server_rec* server = nullptr;   // where it was defined
    std::string where;
    std::uint64_t id = g_next_map_id.fetch_add(1);
    std::int64_t ttl_ms = kDefaultCacheSeconds * 1000;

    // txt:, dbm:
    std::mutex swap_mutex;                            // guards current (and generation's change)
    std::shared_ptr<const cors::OriginRules> current;
    std::atomic<std::uint64_t> generation{0};
    std::mutex reload_mutex;                          // one reloading thread at a time
    std::atomic<std::int64_t> next_check_ms{0};
    Signature signature;                              // under reload_mutex

    // dbd:
    std::unique_ptr<cors::AnswerCache> cache;

    cors::LogThrottle throttle{1000};
};

struct ServerConf {
    apr_array_header_t* maps;       // Map*: this server's and those it inherits
    int cache_seconds;
};

APR_OPTIONAL_FN_TYPE(ap_dbd_acquire)* g_dbd_acquire = nullptr;
APR_OPTIONAL_FN_TYPE(ap_dbd_prepare)* g_dbd_prepare = nullptr;

// CORSAllowOriginMap lists of the main configuration, checked once every map is known.
std::vector<AllowList*>* g_pending = nullptr;
cors::LogThrottle g_unknown_throttle{1000};

ServerConf* conf_of(server_rec* s) {
    return static_cast<ServerConf*>(ap_get_module_config(s->module_config, &cors_module));
}

Map* find_map(const ServerConf* conf, std::string_view name) noexcept {
    if (!conf || !conf->maps) return nullptr;
    for (int i = 0; i < conf->maps->nelts; ++i) {
        Map* m = APR_ARRAY_IDX(conf->maps, i, Map*);
        if (m->name == name) return m;
    }
    return nullptr;
}

std::string where_of(cmd_parms* cmd) {
    if (!cmd->directive) return "?";
    return std::string(cmd->directive->filename) + ":" + std::to_string(cmd->directive->line_num);
}

std::string apr_error(apr_status_t rv) {
    char buffer[256];
    return apr_strerror(rv, buffer, sizeof buffer);
}

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name)
        if (!(apr_isalnum(c) || c == '_' || c == '-' || c == '.')) return false;
    return true;
}

// A temporary root pool (thread-safe: its own allocator), destroyed with the guard.
struct TempPool {
    apr_pool_t* pool = nullptr;
    TempPool() { apr_pool_create(&pool, nullptr); }
    ~TempPool() {
        if (pool) apr_pool_destroy(pool);
    }
};

// ----------------------------------------------------------------- loading

apr_status_t stat_into(const char* path, apr_pool_t* pool, Signature& sig, int slot) {
    apr_finfo_t finfo;
    apr_status_t rv = apr_stat(&finfo, path, APR_FINFO_MTIME | APR_FINFO_SIZE | APR_FINFO_INODE | APR_FINFO_TYPE, pool);
    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) return rv;
    if (finfo.filetype != APR_REG) return APR_EINVAL;
    sig.mtime[slot] = finfo.mtime;
    sig.size[slot] = finfo.size;
    sig.inode[slot] = finfo.inode;
    return APR_SUCCESS;
}

apr_status_t signature_of(const Map& m, apr_pool_t* pool, Signature& sig, std::string& error) {
    sig = Signature();
    if (m.type == Type::Txt) {
        apr_status_t rv = stat_into(m.path.c_str(), pool, sig, 0);
        if (rv != APR_SUCCESS) error = "cannot read '" + m.path + "': " + apr_error(rv);
        return rv;
    }
    const char* used1 = nullptr;
    const char* used2 = nullptr;
    apr_status_t rv = apr_dbm_get_usednames_ex(pool, m.dbm_type.c_str(), m.path.c_str(), &used1, &used2);
    if (rv != APR_SUCCESS) {
        error = "cannot use the DBM type '" + m.dbm_type + "': " + apr_error(rv);
        return rv;
    }
    const char* names[2] = {used1, used2};
    for (int i = 0; i < 2; ++i) {
        if (!names[i]) continue;
        rv = stat_into(names[i], pool, sig, i);
        if (rv != APR_SUCCESS) {
            error = std::string("cannot read '") + names[i] + "': " + apr_error(rv);
            return rv;
        }
    }
    return APR_SUCCESS;
}

struct Loaded {
    std::shared_ptr<cors::OriginRules> rules = std::make_shared<cors::OriginRules>();
    std::vector<cors::ListProblem> problems;
    std::size_t added = 0;
};

apr_status_t load_txt(const Map& m, apr_pool_t* pool, Loaded& out, std::string& error) {
    apr_file_t* file = nullptr;
    apr_status_t rv = apr_file_open(&file, m.path.c_str(), APR_FOPEN_READ, APR_OS_DEFAULT, pool);
    apr_finfo_t finfo;
    if (rv == APR_SUCCESS) rv = apr_file_info_get(&finfo, APR_FINFO_SIZE | APR_FINFO_TYPE, file);
    if (rv == APR_SUCCESS && finfo.filetype != APR_REG) rv = APR_EINVAL;
    std::string text;
    if (rv == APR_SUCCESS && finfo.size > 0) {
        text.resize(static_cast<std::size_t>(finfo.size));
        apr_size_t got = 0;
        rv = apr_file_read_full(file, &text[0], text.size(), &got);
        if (rv == APR_EOF) rv = APR_SUCCESS;
        text.resize(got);
    }
    if (file) apr_file_close(file);
    if (rv != APR_SUCCESS) {
        error = "cannot read '" + m.path + "': " + apr_error(rv);
        return rv;
    }
    out.added = cors::parse_origin_list(text, *out.rules, out.problems);
    return APR_SUCCESS;
}

apr_status_t load_dbm(const Map& m, apr_pool_t* pool, Loaded& out, std::string& error) {
    apr_dbm_t* db = nullptr;
    apr_status_t rv = apr_dbm_open_ex(&db, m.dbm_type.c_str(), m.path.c_str(), APR_DBM_READONLY, APR_OS_DEFAULT, pool);
    if (rv != APR_SUCCESS) {
        error = "cannot open the DBM file '" + m.path + "' (type " + m.dbm_type + "): " + apr_error(rv);
        return rv;
    }
    apr_datum_t key;
    std::size_t n = 0;
    for (rv = apr_dbm_firstkey(db, &key); rv == APR_SUCCESS && key.dptr; rv = apr_dbm_nextkey(db, &key)) {
        ++n;
        const std::string_view entry(key.dptr, key.dsize);
        std::string problem = cors::check_map_entry(entry);
        if (problem.empty()) problem = out.rules->add(entry);
        if (problem.empty()) ++out.added;
        else out.problems.push_back(cors::ListProblem{n, std::string(entry.substr(0, 120)), problem});
    }
    apr_dbm_close(db);
    if (rv != APR_SUCCESS) {
        error = "cannot read the DBM file '" + m.path + "': " + apr_error(rv);
        return rv;
    }
    return APR_SUCCESS;
}

void log_problems(const Map& m, server_rec* s, apr_pool_t* pool, const std::vector<cors::ListProblem>& problems) {
    const char* unit = m.type == Type::Txt ? "line" : "key";
    std::size_t shown = 0;
    for (const cors::ListProblem& p : problems) {
        if (++shown > kLoggedProblems) break;
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "CORSOriginMap %s: %s %s %" APR_SIZE_T_FMT ": '%s' skipped: %s", m.name.c_str(),
                     m.path.c_str(), unit, p.line, ap_escape_logitem(pool, p.text.c_str()),
                     p.error.c_str());
    }
    if (problems.size() > kLoggedProblems)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "CORSOriginMap %s: %s: %" APR_SIZE_T_FMT " more invalid %ss skipped",
                     m.name.c_str(), m.path.c_str(), problems.size() - kLoggedProblems, unit);
}

// Reads the map's file into a new set and publishes it. False (and `error`) when
// the file cannot be read: the set in use stays.
bool reload(Map& m, server_rec* s, std::string& error) {
    TempPool tmp;
    if (!tmp.pool) {
        error = "out of memory";
        return false;
    }
    Signature sig;
    if (signature_of(m, tmp.pool, sig, error) != APR_SUCCESS) return false;
    Loaded loaded;
    apr_status_t rv = m.type == Type::Txt ? load_txt(m, tmp.pool, loaded, error) : load_dbm(m, tmp.pool, loaded, error);
    if (rv != APR_SUCCESS) return false;
    log_problems(m, s, tmp.pool, loaded.problems);
    std::shared_ptr<const cors::OriginRules> rules = std::move(loaded.rules);
    {
        std::lock_guard<std::mutex> lock(m.swap_mutex);
        m.current.swap(rules);
        m.generation.fetch_add(1, std::memory_order_release);
    }
    m.signature = sig;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "CORSOriginMap %s: %" APR_SIZE_T_FMT " origins read from %s", m.name.c_str(),
                 loaded.added, m.path.c_str());
    return true;  // the old set is freed here, or by the last thread still holding it
}

// The clock of the maps' checks and answer caches: httpd's request time, in milliseconds
// (read by httpd for every request anyway).
std::int64_t request_ms(const request_rec* r) noexcept { return apr_time_as_msec(r->request_time); }

// At most once per CORSOriginMapCache seconds and by one thread at a time: reloads
// the file when it changed.
// The time is the request's: no clock call per request; a clock set back by more than
// the interval checks at once.
void maybe_reload(Map& m, request_rec* r) noexcept {
    const std::int64_t now = request_ms(r);
    auto due = [&] {
        const std::int64_t next = m.next_check_ms.load(std::memory_order_relaxed);
        return now >= next || now < next - m.ttl_ms;
    };
    if (!due()) return;
    std::unique_lock<std::mutex> lock(m.reload_mutex, std::try_to_lock);
    if (!lock.owns_lock()) return;  // another thread is at it; use the current set
    if (!due()) return;
    m.next_check_ms.store(now + m.ttl_ms, std::memory_order_relaxed);
    try {
        TempPool tmp;
        Signature sig;
        std::string error;
        if (tmp.pool && signature_of(m, tmp.pool, sig, error) == APR_SUCCESS && sig == m.signature) return;
        if (error.empty() && reload(m, r->server, error)) return;
        if (m.throttle.allow(cors::steady_milliseconds()))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "CORSOriginMap %s: %s; keeping the list read before",
                          m.name.c_str(), error.c_str());
    } catch (...) {
        if (m.throttle.allow(cors::steady_milliseconds()))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "CORSOriginMap %s: reload failed; keeping the list read before",
                          m.name.c_str());
    }
}

// This thread's copy of a map's current set: a lock only when a new set was published.
struct Snapshot {
    std::uint64_t map_id = 0;
    std::uint64_t generation = 0;
    std::shared_ptr<const cors::OriginRules> rules;
};
constexpr unsigned kSnapshots = 4;
thread_local Snapshot tl_snapshots[kSnapshots];
thread_local unsigned tl_next_snapshot = 0;

const cors::OriginRules* current_set(Map& m) {
    const std::uint64_t generation = m.generation.load(std::memory_order_acquire);
    Snapshot* slot = nullptr;
    for (Snapshot& s : tl_snapshots)
        if (s.map_id == m.id) slot = &s;
    if (slot && slot->generation == generation) return slot->rules.get();
    if (!slot) {
        slot = &tl_snapshots[tl_next_snapshot++ % kSnapshots];
        slot->map_id = m.id;
    }
    std::lock_guard<std::mutex> lock(m.swap_mutex);
    slot->rules = m.current;
    slot->generation = m.generation.load(std::memory_order_relaxed);
    return slot->rules.get();
}

// ----------------------------------------------------------------- asking

cors::MapAnswer ask_file(Map& m, request_rec* r, const cors::Origin& origin) {
    maybe_reload(m, r);
    const cors::OriginRules* rules = current_set(m);
    if (!rules) return cors::MapAnswer::Unavailable;
    return rules->allows(origin) ? cors::MapAnswer::Allowed : cors::MapAnswer::NotListed;
}

// A thread's latest dbd: answers, in front of the shared answer cache: a cached answer is
// read without a lock. An entry keeps the time the shared cache stored its answer at and
// expires with it, so an answer is reused no longer than CORSOriginMapCache allows.
constexpr std::size_t kFrontKeyMax = 256;
constexpr unsigned kFrontAnswers = 4;
struct FrontAnswer {
    std::uint64_t map_id = 0;  // map ids start at 1
    std::int64_t stored_ms = 0;
    bool allowed = false;
    std::size_t size = 0;
    char key[kFrontKeyMax];
};
thread_local FrontAnswer tl_front[kFrontAnswers];
thread_local unsigned tl_front_next = 0;

cors::AnswerCache::Hit cached_answer(Map& m, std::string_view key, std::int64_t now) {
    using Hit = cors::AnswerCache::Hit;
    for (FrontAnswer& f : tl_front) {
        if (f.map_id != m.id || f.size != key.size() || std::memcmp(f.key, key.data(), key.size())) continue;
        if (now >= f.stored_ms && now - f.stored_ms < m.cache->ttl_ms()) return f.allowed ? Hit::Allowed : Hit::NotListed;
        f.map_id = 0;  // expired here as in the shared cache
        break;
    }
    std::int64_t stored = 0;
    const Hit hit = m.cache->get(key, now, &stored);
    if (hit != Hit::Miss && key.size() <= kFrontKeyMax) {
        FrontAnswer& f = tl_front[tl_front_next++ % kFrontAnswers];
        f.map_id = m.id;
        f.stored_ms = stored;
        f.allowed = hit == Hit::Allowed;
        f.size = key.size();
        std::memcpy(f.key, key.data(), key.size());
    }
    return hit;
}

cors::MapAnswer ask_dbd(Map& m, request_rec* r, const cors::Origin& origin) {
    char buffer[cors::kMaxOriginKeyLength];
    const std::string_view key = cors::origin_key(origin, buffer);
    if (key.empty()) return cors::MapAnswer::NotListed;
    if (m.cache) {
        switch (cached_answer(m, key, request_ms(r))) {
            case cors::AnswerCache::Hit::Allowed: return cors::MapAnswer::Allowed;
            case cors::AnswerCache::Hit::NotListed: return cors::MapAnswer::NotListed;
            case cors::AnswerCache::Hit::Miss: break;
        }
    }
    const std::int64_t now = cors::steady_milliseconds();
    ap_dbd_t* db = g_dbd_acquire ? g_dbd_acquire(r) : nullptr;
    if (!db) {
        if (m.throttle.allow(now))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "CORSOriginMap %s: no database connection (mod_dbd); origins the cache does not "
                          "know are refused",
                          m.name.c_str());
        return cors::MapAnswer::Unavailable;
    }
    auto* stmt = static_cast<apr_dbd_prepared_t*>(apr_hash_get(db->prepared, m.label.c_str(), APR_HASH_KEY_STRING));
    if (!stmt) {
        if (m.throttle.allow(now))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "CORSOriginMap %s: the query is not prepared on this connection",
                          m.name.c_str());
        return cors::MapAnswer::Unavailable;
    }
    const char* arg = apr_pstrmemdup(r->pool, key.data(), key.size());
    apr_dbd_results_t* res = nullptr;
    // random = 1: the whole result at once, so that a failure shows here and not as "no
    // row" (pgsql's sequential mode reports errors as the end of the rows).
    int rv = apr_dbd_pvselect(db->driver, r->pool, db->handle, &res, stmt, 1, arg, nullptr);
    if (rv != 0) {
        // mod_dbd may have reset a broken connection (pgsql: PQreset), which loses the
        // statements prepared on it: prepare it again on this connection, once, and retry.
        apr_dbd_prepared_t* again = nullptr;
        if (apr_dbd_prepare(db->driver, db->pool, db->handle, m.query.c_str(), m.label.c_str(), &again) == 0 &&
            again) {
            apr_hash_set(db->prepared, apr_pstrdup(db->pool, m.label.c_str()), APR_HASH_KEY_STRING, again);
            res = nullptr;
            rv = apr_dbd_pvselect(db->driver, r->pool, db->handle, &res, again, 1, arg, nullptr);
        }
    }
    if (rv != 0) {
        if (m.throttle.allow(now)) {
            const char* why = apr_dbd_error(db->driver, db->handle, rv);
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "CORSOriginMap %s: query failed: %s", m.name.c_str(),
                          why ? why : "unknown error");
        }
        return cors::MapAnswer::Unavailable;
    }
    int rows = 0;
    apr_dbd_row_t* row = nullptr;
    while (apr_dbd_get_row(db->driver, r->pool, res, &row, -1) == 0) ++rows;  // read them all
    if (m.cache) m.cache->put(key, rows > 0, request_ms(r));
    return rows > 0 ? cors::MapAnswer::Allowed : cors::MapAnswer::NotListed;
}

cors::MapAnswer ask(Map& m, request_rec* r, const cors::Origin& origin) {
    return m.type == Type::Dbd ? ask_dbd(m, r, origin) : ask_file(m, r, origin);
}

// ----------------------------------------------------------------- hooks

int pre_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*) {
    g_pending = pool_owned<std::vector<AllowList*>>(pconf);
    return OK;
}

// Every CORSAllowOriginMap of the main configuration names a map its server knows.
int check_config(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s) {
    if (!g_pending) return OK;
    int status = OK;
    for (const AllowList* list : *g_pending)
        for (const std::string& name : list->names)
            if (!find_map(conf_of(list->server), name)) {
                ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                             "CORSAllowOriginMap: no CORSOriginMap named '%s' in this server or virtual host "
                             "(at %s)",
                             name.c_str(), list->where.c_str());
                status = HTTP_INTERNAL_SERVER_ERROR;
            }
    g_pending->clear();
    return status;
}

// The cache time of each map is its server's CORSOriginMapCache, known once merged.
int post_config(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* main_server) {
    for (server_rec* s = main_server; s; s = s->next) {
        ServerConf* conf = conf_of(s);
        if (!conf || !conf->maps) continue;
        const int seconds = conf->cache_seconds == kUnset ? kDefaultCacheSeconds : conf->cache_seconds;
        for (int i = 0; i < conf->maps->nelts; ++i) {
            Map* m = APR_ARRAY_IDX(conf->maps, i, Map*);
            if (m->server != s) continue;
            m->ttl_ms = static_cast<std::int64_t>(seconds) * 1000;
            m->next_check_ms.store(apr_time_as_msec(apr_time_now()) + m->ttl_ms, std::memory_order_relaxed);
            if (m->type == Type::Dbd) m->cache = std::make_unique<cors::AnswerCache>(kCacheEntries, m->ttl_ms);
        }
    }
    return OK;
}

}  // namespace

// ----------------------------------------------------------------- directives

const char* set_origin_map(cmd_parms* cmd, void*, const char* name_arg, const char* source_arg) {
    try {
        const std::string name(name_arg), source(source_arg);
        if (!valid_name(name))
            return error_text(cmd, "'" + name + "' is not a valid map name (letters, digits, '_', '-', '.')");
        ServerConf* conf = conf_of(cmd->server);
        for (int i = 0; i < conf->maps->nelts; ++i) {
            Map* other = APR_ARRAY_IDX(conf->maps, i, Map*);
            if (other->name == name && other->server == cmd->server)
                return error_text(cmd, "map '" + name + "' is already defined at " + other->where);
        }
        const std::size_t colon = source.find(':');
        if (colon == std::string::npos)
            return error_text(cmd, "'" + source + "' has no type: txt:/path, dbm[=type]:/path or dbd:SQL");
        const std::string type = source.substr(0, colon);
        const std::string rest = source.substr(colon + 1);
        Map* m = pool_owned<Map>(cmd->pool);
        m->name = name;
        m->server = cmd->server;
        m->where = where_of(cmd);
        if (type == "txt" || type == "dbm" || type.compare(0, 4, "dbm=") == 0) {
            m->type = type == "txt" ? Type::Txt : Type::Dbm;
            if (m->type == Type::Dbm) {
                m->dbm_type = type.size() > 4 ? type.substr(4) : "default";
                std::string lower = m->dbm_type;
                for (char& c : lower) c = static_cast<char>(apr_tolower(c));
                if (lower != "default" && lower != "sdbm" && lower != "gdbm" && lower != "db" && lower != "ndbm")
                    return error_text(cmd, "unknown DBM type '" + m->dbm_type + "' (default, sdbm, gdbm, db, ndbm)");
                m->dbm_type = lower;
            }
            if (rest.empty()) return error_text(cmd, "map '" + name + "': no file after '" + type + ":'");
            const char* path = ap_server_root_relative(cmd->pool, rest.c_str());
            if (!path) return error_text(cmd, "map '" + name + "': invalid file name '" + rest + "'");
            m->path = path;
            std::string error;
            if (!reload(*m, cmd->server, error)) return error_text(cmd, "map '" + name + "': " + error);
        } else if (type == "dbd") {
            std::size_t placeholders = 0;
            for (std::size_t at = rest.find("%s"); at != std::string::npos; at = rest.find("%s", at + 2)) ++placeholders;
            if (placeholders != 1)
                return error_text(cmd, "map '" + name + "': the query must have exactly one %s (the origin), not " +
                                           std::to_string(placeholders));
            if (!g_dbd_prepare) g_dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
            if (!g_dbd_acquire) g_dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
            if (!g_dbd_prepare || !g_dbd_acquire)
                return error_text(cmd, "map '" + name + "': dbd: needs mod_dbd (LoadModule dbd_module before this "
                                       "line, and DBDriver/DBDParams)");
            m->type = Type::Dbd;
            m->query = rest;
            m->label = kLabelPrefix + name;
            g_dbd_prepare(cmd->server, apr_pstrdup(cmd->pool, m->query.c_str()), apr_pstrdup(cmd->pool, m->label.c_str()));
        } else {
            return error_text(cmd, "map '" + name + "': unknown type '" + type + "' (txt:, dbm[=type]: or dbd:)");
        }
        // A map of the same name inherited from the main server is replaced.
        for (int i = 0; i < conf->maps->nelts; ++i)
            if (APR_ARRAY_IDX(conf->maps, i, Map*)->name == name) {
                APR_ARRAY_IDX(conf->maps, i, Map*) = m;
                return nullptr;
            }
        APR_ARRAY_PUSH(conf->maps, Map*) = m;
        return nullptr;
    } catch (const std::exception& e) {
        return error_text(cmd, std::string("internal error: ") + e.what());
    } catch (...) {
        return error_text(cmd, "internal error");
    }
}

const char* set_origin_map_cache(cmd_parms* cmd, void*, const char* arg) {
    const std::string_view text(arg);
    long value = 0;
    bool digits = !text.empty() && text.size() <= 9;
    for (char c : text) {
        if (c < '0' || c > '9') digits = false;
        else value = value * 10 + (c - '0');
    }
    if (!digits || value > kMaxCacheSeconds)
        return error_text(cmd, "'" + std::string(text) + "' is not a number of seconds from 0 to " +
                                   std::to_string(kMaxCacheSeconds));
    conf_of(cmd->server)->cache_seconds = static_cast<int>(value);
    return nullptr;
}

const char* allow_origin_map(cmd_parms* cmd, AllowList*& list, const char* name_arg) {
    try {
        const std::string name(name_arg);
        if (!valid_name(name))
            return error_text(cmd, "'" + name + "' is not a valid map name (letters, digits, '_', '-', '.')");
        if (!list) {
            list = pool_owned<AllowList>(cmd->pool);
            list->server = cmd->server;
            list->where = where_of(cmd);
            // .htaccess files are read while serving: every map is known by then.
            if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_RUN_MPM && g_pending) g_pending->push_back(list);
        }
        if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_RUN_MPM && !find_map(conf_of(cmd->server), name))
            return error_text(cmd, "no CORSOriginMap named '" + name + "' in this server or virtual host");
        if (std::find(list->names.begin(), list->names.end(), name) == list->names.end()) list->names.push_back(name);
        return nullptr;
    } catch (...) {
        return error_text(cmd, "internal error");
    }
}

void* create_server_config(apr_pool_t* p, server_rec*) {
    auto* conf = static_cast<ServerConf*>(apr_pcalloc(p, sizeof(ServerConf)));
    conf->maps = apr_array_make(p, 2, sizeof(Map*));
    conf->cache_seconds = kUnset;
    return conf;
}

void* merge_server_config(apr_pool_t* p, void* base_v, void* add_v) {
    const auto* base = static_cast<const ServerConf*>(base_v);
    const auto* add = static_cast<const ServerConf*>(add_v);
    auto* conf = static_cast<ServerConf*>(apr_pcalloc(p, sizeof(ServerConf)));
    conf->maps = apr_array_make(p, base->maps->nelts + add->maps->nelts, sizeof(Map*));
    for (int i = 0; i < base->maps->nelts; ++i) {
        Map* m = APR_ARRAY_IDX(base->maps, i, Map*);
        if (!find_map(add, m->name)) APR_ARRAY_PUSH(conf->maps, Map*) = m;
    }
    for (int i = 0; i < add->maps->nelts; ++i) APR_ARRAY_PUSH(conf->maps, Map*) = APR_ARRAY_IDX(add->maps, i, Map*);
    conf->cache_seconds = add->cache_seconds != kUnset ? add->cache_seconds : base->cache_seconds;
    return conf;
}

void register_hooks(apr_pool_t*) {
    ap_hook_pre_config(pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, nullptr, nullptr, APR_HOOK_MIDDLE);
}

// ----------------------------------------------------------------- requests

RequestOracle::RequestOracle(request_rec* r, const AllowList* list, cors::Policy& policy) noexcept
    : r_(r), list_(list) {
    if (list && !list->names.empty()) policy.maps = this;
}

bool RequestOracle::lists_serialised(std::string_view text, std::size_t hash, cors::Origin& out) const noexcept {
    try {
        const ServerConf* conf = conf_of(r_->server);
        for (const std::string& name : list_->names) {
            Map* m = find_map(conf, name);
            if (!m) continue;
            if (m->type == Type::Dbd) {
                if (m->cache && cached_answer(*m, text, request_ms(r_)) == cors::AnswerCache::Hit::Allowed) {
                    cors::origin_from_key(text, out);  // a cached key is a normalised origin
                    return true;
                }
                continue;
            }
            maybe_reload(*m, r_);
            const cors::OriginRules* rules = current_set(*m);
            if (rules && rules->find_serialised(text, hash, out)) return true;
        }
    } catch (...) {
    }
    return false;
}

cors::MapAnswer RequestOracle::lookup(const cors::Origin& origin, std::string_view& unavailable) const noexcept {
    cors::MapAnswer result = cors::MapAnswer::NotListed;
    try {
        const ServerConf* conf = conf_of(r_->server);
        for (const std::string& name : list_->names) {
            Map* m = find_map(conf, name);
            cors::MapAnswer a = cors::MapAnswer::Unavailable;
            if (m) {
                a = ask(*m, r_, origin);
            } else if (g_unknown_throttle.allow(cors::steady_milliseconds())) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r_,
                              "CORSAllowOriginMap: no CORSOriginMap named '%s' in this virtual host", name.c_str());
            }
            if (a == cors::MapAnswer::Allowed) return a;
            if (a == cors::MapAnswer::Unavailable && result != cors::MapAnswer::Unavailable) {
                result = a;
                unavailable = name;
            }
        }
    } catch (...) {
        if (result != cors::MapAnswer::Unavailable) unavailable = list_->names.front();
        result = cors::MapAnswer::Unavailable;
    }
    return result;
}

}  // namespace cors_maps

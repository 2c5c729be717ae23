// Origin maps, the httpd side (contract.md "Origin maps"). A map is defined per
// server (CORSOriginMap, like RewriteMap) and listed by scopes (CORSAllowOriginMap);
// the maps a server knows are an apr_hash by name (as mod_rewrite's), merged by overlay.
//
// txt: and dbm: are read whole into a compact set (maps/origin_set.hpp: one arena per
// set, about 40 bytes per origin) published for readers that never wait. A request
// never reads a text file: one thread per child process (started in child_init, stopped
// with the child's pool) checks each file every CORSOriginMapCache seconds and reloads it
// when it changed, one map after the other, holding no lock while it reads. A file that
// cannot be read, or is not a regular file when opened (a FIFO, a device, a directory),
// keeps the last set, and the error is logged.
//
// A dbm: file of more than kDbmLookupAbove keys is looked up in the file instead, as
// RewriteMap does (DbmFile): the same thread reads its keys once per version, only to
// check them and to keep the few not written normalised, and keeps the file open for the
// process's lookups, which go through an answer cache as dbd: answers do.
//
// dbd: asks mod_dbd (a statement prepared at configuration time) through bounded caches of
// its answers (maps/answer_cache.hpp), one per map and per database: per server_rec whose
// mod_dbd configuration the request's virtual host uses (see dbd_homes()).
//
// The cache layers, and the figure that keeps each (make bench; docs/origin-maps.md):
// - the dbd: answer cache: a query costs tens of microseconds (bench part 4, "a cache
//   miss"), a cached answer a few hundred instructions;
// - the same cache in front of a looked-up dbm: file: a lookup costs about 5,500
//   instructions under the map's lock (bench part 2, (u) less (k)), a cached answer
//   1.16x an exact origin;
// - the thread's latest dbd: answers in front of it (tl_front): see the figure there;
// - nothing in front of a txt:/dbm: set (no per-thread snapshot, no generation counter,
//   no mutex): a lookup is one hash probe between two atomic counter updates
//   (PublishedSet), within 1.2x of an exact origin (bench "variants").

#include "origin_maps.hpp"
#include "glue.hpp"
#include "maps/answer_cache.hpp"
#include "maps/origin_set.hpp"

#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_request.h"
#include "apr_dbd.h"
#include "apr_dbm.h"
#include "apr_hash.h"
#include "apr_optional.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "mod_dbd.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>


namespace cors_maps {

struct Map;

struct AllowList {
    std::vector<std::string> names;
    server_rec* server = nullptr;   // where the directive was read: names resolve there
    std::string where;              // "file:line"
    // The names resolved once (check_config, or as an .htaccess file is read) in the
    // registry of `server`: a request whose server has that same registry (the main
    // server's maps, inherited by every virtual host that defines none) uses them
    // without a hash lookup per name and request (bench "variants": ~100 Ir of the 1.2x).
    const apr_hash_t* registry = nullptr;
    std::vector<Map*> resolved;     // parallel to names; null: not known there
};

namespace {

using cors_glue::error_text;
using cors_glue::guarded;
using cors_glue::kUnset;
using cors_glue::pool_owned;
constexpr apr_interval_time_t kDefaultCache = apr_time_from_sec(60);
constexpr apr_interval_time_t kMaxCache = apr_time_from_sec(31536000);
// A dbm: file with more keys is looked up in the file rather than read into a set: a set
// costs every child about 43 bytes per origin (4.3 MB at this size; bench part 5), a
// lookup in the file a few microseconds on an answer-cache miss (bench part 4).
constexpr std::size_t kDbmLookupAbove = 100'000;
// A file is checked at most this often even with CORSOriginMapCache 0 (a check is a
// stat(2); a reload happens only when the file changed).
constexpr std::int64_t kMinCheckMs = 100;
constexpr std::size_t kCacheEntries = 4096;     // per dbd: map and database, per looked-up dbm: map; per process
constexpr std::size_t kLoggedProblems = 20;     // invalid lines logged per load
constexpr const char* kLabelPrefix = "cors_origin_map_";
// A file changed this recently (ctime or mtime) may change again with the same
// signature: file times come from the kernel's coarse clock (one tick, 4 ms with HZ=250)
// and some file systems keep whole seconds (or two). Such a file is read again at the
// next check, until it is older than this (git's "racily clean" entries).
constexpr std::int64_t kRacyNs = 3'000'000'000;

enum class Type { Txt, Dbm, Dbd };

// What identifies one version of a file: its device and inode (a rename), size, mtime
// and ctime in nanoseconds. ctime cannot be set from user space: `cp -p`, `touch -r`
// and rsync -t put back the mtime, never the ctime.
struct FileSig {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    bool operator==(const FileSig& o) const {
        return dev == o.dev && ino == o.ino && size == o.size && mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns;
    }
};

struct Signature {
    FileSig file[2];     // txt: one file; dbm: up to two (SDBM's .dir and .pag)
    bool racy = false;   // changed within kRacyNs of being read: read again next time
    bool operator==(const Signature& o) const { return file[0] == o.file[0] && file[1] == o.file[1]; }
};

std::int64_t ns_of(const struct timespec& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

FileSig sig_of(const struct stat& st) {
    FileSig f;
    f.dev = st.st_dev;
    f.ino = st.st_ino;
    f.size = st.st_size;
    f.mtime_ns = ns_of(st.st_mtim);
    f.ctime_ns = ns_of(st.st_ctim);
    return f;
}

std::atomic<std::uint64_t> g_next_map_id{1};

// A dbm: file looked up per origin: the keys that are not written in their normalised form
// (HTTPS://A.example:443), normalised (a lookup of the request's normalised origin in the
// file would miss them), and, in a child process, the open file. A DBM handle is neither
// shared across fork (the parent only reads the keys) nor thread-safe (Map::file_mutex).
struct DbmFile {
    std::unique_ptr<const cors::OriginSet> aliases;
    std::size_t keys = 0;
    apr_pool_t* pool = nullptr;  // a root pool of its own, holding `db`
    apr_dbm_t* db = nullptr;     // null in the parent
    DbmFile() = default;
    DbmFile(const DbmFile&) = delete;
    DbmFile& operator=(const DbmFile&) = delete;
    ~DbmFile() {
        if (db) apr_dbm_close(db);
        if (pool) apr_pool_destroy(pool);
    }
};

}  // namespace

struct Map {
    std::string name;
    std::string source;             // as written after the name ("txt:/path", "dbd:SELECT ...")
    Type type = Type::Txt;
    std::string path;               // txt:, dbm:
    std::string dbm_type;           // dbm:
    std::string query;              // dbd:
    std::string label;              // dbd: the prepared statement's label
    server_rec* server = nullptr;   // where it was defined
    std::string where;
    std::uint64_t id = g_next_map_id.fetch_add(1);
    std::int64_t ttl_ms = apr_time_as_msec(kDefaultCache);

    // txt:, dbm: the set requests read; the rest belongs to the one thread that reloads
    // (the configuration, then the child's reloader).
    cors::PublishedSet set;
    Signature signature;
    std::int64_t next_check_ms = 0;

    // dbm: above kDbmLookupAbove keys: looked up in `file` (then `set` is empty), through
    // `file_answers`. `file_mutex` guards `file` and the lookups in it; the reloader
    // replaces the file and clears the answers under it, so that no answer of the old
    // file is kept.
    std::atomic<bool> looked_up{false};
    std::mutex file_mutex;
    std::unique_ptr<DbmFile> file;
    std::unique_ptr<cors::AnswerCache> file_answers;  // post_config

    // dbd: one answer cache per database (keyed by dbd_home, built in post_config,
    // read-only afterwards).
    std::unordered_map<const server_rec*, std::unique_ptr<cors::AnswerCache>> caches;

    cors::LogThrottle throttle{1000};
};

namespace {

struct ServerConf {
    apr_hash_t* maps;               // name -> Map*: this server's and those it inherits
    apr_interval_time_t cache;      // CORSOriginMapCache; -1: unset
    const server_rec* dbd_home;     // whose mod_dbd configuration applies (post_config)
};

APR_OPTIONAL_FN_TYPE(ap_dbd_open)* g_dbd_open = nullptr;
APR_OPTIONAL_FN_TYPE(ap_dbd_close)* g_dbd_close = nullptr;
APR_OPTIONAL_FN_TYPE(ap_dbd_prepare)* g_dbd_prepare = nullptr;

// CORSAllowOriginMap lists of the main configuration, checked once every map is known.
std::vector<AllowList*>* g_pending = nullptr;
cors::LogThrottle g_unknown_throttle{1000};

ServerConf* conf_of(server_rec* s) {
    return static_cast<ServerConf*>(ap_get_module_config(s->module_config, &cors_module));
}

Map* find_map(const ServerConf* conf, std::string_view name) noexcept {
    if (!conf || !conf->maps) return nullptr;
    return static_cast<Map*>(apr_hash_get(conf->maps, name.data(), static_cast<apr_ssize_t>(name.size())));
}

void resolve(AllowList& list, const ServerConf* conf) {
    list.registry = conf ? conf->maps : nullptr;
    list.resolved.clear();
    for (const std::string& name : list.names) list.resolved.push_back(find_map(conf, name));
}

// Calls fn(name, map) for each map `list` names, as `r`'s server knows them (map null when
// it knows none of that name), until fn returns true.
template <class Fn>
void for_each_listed(const AllowList& list, request_rec* r, Fn&& fn) {
    const ServerConf* conf = conf_of(r->server);
    const bool same = conf && conf->maps == list.registry && list.resolved.size() == list.names.size();
    for (std::size_t i = 0; i < list.names.size(); ++i)
        if (fn(list.names[i], same ? list.resolved[i] : find_map(conf, list.names[i]))) return;
}

std::string where_of(cmd_parms* cmd) {
    if (!cmd->directive) return "?";
    return std::string(cmd->directive->filename) + ":" + std::to_string(cmd->directive->line_num);
}

std::string apr_error(apr_status_t rv) {
    char buffer[256];
    return apr_strerror(rv, buffer, sizeof buffer);
}

std::string os_error(int e) { return apr_error(APR_FROM_OS_ERROR(e)); }

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

// The file at `path`, opened without blocking (O_NONBLOCK: a FIFO swapped in does not
// hang the open), checked to be a regular file, and closed again. The open file is
// what is checked, so a swap between a stat and the open cannot slip a FIFO through.
class OpenFile {
public:
    explicit OpenFile(const std::string& path, std::string& error) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd_ < 0) {
            error = "cannot read '" + path + "': " + os_error(errno);
            return;
        }
        struct stat st;
        if (::fstat(fd_, &st) != 0) {
            error = "cannot read '" + path + "': " + os_error(errno);
        } else if (!S_ISREG(st.st_mode)) {
            error = "'" + path + "' is not a regular file (a FIFO, a device or a directory)";
        } else {
            sig_ = sig_of(st);
            return;
        }
        ::close(fd_);
        fd_ = -1;
    }
    ~OpenFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool ok() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    const FileSig& sig() const { return sig_; }

private:
    int fd_ = -1;
    FileSig sig_;
};

// The names a map's files have: one for txt:, one or two for dbm: (apr_dbm).
bool file_names(const Map& m, apr_pool_t* pool, const char* names[2], std::string& error) {
    names[0] = names[1] = nullptr;
    if (m.type == Type::Txt) {
        names[0] = m.path.c_str();
        return true;
    }
    apr_status_t rv = apr_dbm_get_usednames_ex(pool, m.dbm_type.c_str(), m.path.c_str(), &names[0], &names[1]);
    if (rv != APR_SUCCESS) error = "cannot use the DBM type '" + m.dbm_type + "': " + apr_error(rv);
    return rv == APR_SUCCESS;
}

// The files' signature by stat(2), which never blocks on what it finds.
bool signature_of(const Map& m, apr_pool_t* pool, Signature& sig, std::string& error) {
    sig = Signature();
    const char* names[2];
    if (!file_names(m, pool, names, error)) return false;
    for (int i = 0; i < 2; ++i) {
        if (!names[i]) continue;
        struct stat st;
        if (::stat(names[i], &st) != 0) {
            error = std::string("cannot read '") + names[i] + "': " + os_error(errno);
            return false;
        }
        sig.file[i] = sig_of(st);
    }
    return true;
}

bool racy(const Signature& sig) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    const std::int64_t t = ns_of(now);
    for (const FileSig& f : sig.file)
        if (f.size >= 0 && (t - std::max(f.mtime_ns, f.ctime_ns) < kRacyNs)) return true;
    return false;
}

struct Loaded {
    std::unique_ptr<const cors::OriginSet> set;  // txt:, a dbm: of up to kDbmLookupAbove keys
    std::unique_ptr<DbmFile> file;               // a larger dbm:, looked up in the file
    std::vector<cors::ListProblem> problems;
    cors::ListCount count;
    Signature sig;
};

bool load_txt(const Map& m, Loaded& out, std::string& error) {
    OpenFile file(m.path, error);
    if (!file.ok()) return false;
    out.sig.file[0] = file.sig();
    // Read into memory of the set's own kind (mmap'ed, given back whole), not the heap.
    cors::Region text(static_cast<std::size_t>(file.sig().size) + 1);
    std::size_t size = 0;
    for (;;) {
        text.reserve(size + 65536);
        const ssize_t got = ::read(file.fd(), text.data() + size, text.capacity() - size);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            error = "cannot read '" + m.path + "': " + os_error(errno);
            return false;
        }
        if (got == 0) break;
        size += static_cast<std::size_t>(got);
    }
    const std::string_view view(text.data(), size);
    const std::size_t lines = static_cast<std::size_t>(std::count(view.begin(), view.end(), '\n')) + 1;
    cors::OriginSet::Builder builder(lines, size);
    out.count = cors::parse_origin_keys(
        view, [&builder](std::string_view key) { return builder.add(key); }, out.problems, kLoggedProblems);
    out.set = builder.finish();
    return true;
}

// Opens the dbm: file read-only into `file` (its own root pool), with its signature.
// apr_dbm opens files by name, and an open of a FIFO swapped in by then would block: so
// each of its files is opened here first without blocking and checked to be a regular
// file, and apr_dbm is handed names that lead to exactly those open files (/proc/self/fd/N,
// or symbolic links to them in a private temporary folder, removed once it has opened them).
bool open_dbm(const Map& m, DbmFile& file, Signature& sig, std::size_t& bytes, std::string& error) {
    if (!file.pool && apr_pool_create(&file.pool, nullptr) != APR_SUCCESS) {
        error = "out of memory";
        return false;
    }
    TempPool tmp;
    const char* names[2];
    if (!tmp.pool || !file_names(m, tmp.pool, names, error)) return false;
    std::unique_ptr<OpenFile> opened[2];
    bytes = 0;
    for (int i = 0; i < 2; ++i) {
        if (!names[i]) continue;
        opened[i] = std::make_unique<OpenFile>(names[i], error);
        if (!opened[i]->ok()) return false;
        sig.file[i] = opened[i]->sig();
        bytes += static_cast<std::size_t>(opened[i]->sig().size);
    }
    // One file named as the map (db, gdbm): its /proc/self/fd name. Files with suffixes
    // (SDBM's .dir and .pag): links named so, in a temporary folder.
    std::string base, folder, links[2];
    if (!names[1] && m.path == names[0]) {
        base = "/proc/self/fd/" + std::to_string(opened[0]->fd());
    } else {
        const char* tmp_dir = nullptr;
        if (apr_temp_dir_get(&tmp_dir, tmp.pool) != APR_SUCCESS) tmp_dir = "/tmp";
        std::string pattern = std::string(tmp_dir) + "/mod_cors_dbm_XXXXXX";
        if (!::mkdtemp(pattern.data())) {
            error = "cannot open the DBM file '" + m.path + "': no temporary folder in " + tmp_dir + " (" +
                    os_error(errno) + ")";
            return false;
        }
        folder = pattern;
        base = folder + "/map";
    }
    for (int i = 0; i < 2 && error.empty() && !folder.empty(); ++i) {
        if (!opened[i]) continue;
        const std::string_view name(names[i]);  // the path and a suffix (".dir", ".pag") or none
        links[i] = base + std::string(name.substr(std::min(m.path.size(), name.size())));
        const std::string target = "/proc/self/fd/" + std::to_string(opened[i]->fd());
        if (::symlink(target.c_str(), links[i].c_str()) != 0)
            error = "cannot open the DBM file '" + m.path + "': " + os_error(errno);
    }
    apr_status_t rv = APR_SUCCESS;
    if (error.empty())
        rv = apr_dbm_open_ex(&file.db, m.dbm_type.c_str(), base.c_str(), APR_DBM_READONLY, APR_OS_DEFAULT, file.pool);
    for (const std::string& link : links)
        if (!link.empty()) ::unlink(link.c_str());
    if (!folder.empty()) ::rmdir(folder.c_str());
    if (!error.empty()) return false;
    if (rv == APR_SUCCESS) return true;
    file.db = nullptr;
    error = "cannot open the DBM file '" + m.path + "' (type " + m.dbm_type + "): " + apr_error(rv);
    return false;
}

// Reads every key of the dbm: file once: into a set while there are at most
// kDbmLookupAbove, otherwise only checked, and those not written normalised kept as
// aliases; the file then stays open for lookups when `keep_open` (a child process).
bool load_dbm(const Map& m, bool keep_open, Loaded& out, std::string& error) {
    std::size_t bytes = 0;
    auto file = std::make_unique<DbmFile>();
    if (!open_dbm(m, *file, out.sig, bytes, error)) return false;
    auto builder = std::make_unique<cors::OriginSet::Builder>(std::min(bytes / 64, kDbmLookupAbove), bytes);
    cors::OriginSet::Builder aliases(16, 4096);
    char buffer[cors::kMaxOriginKeyLength];
    apr_datum_t key;
    apr_status_t rv;
    std::size_t n = 0;
    for (rv = apr_dbm_firstkey(file->db, &key); rv == APR_SUCCESS && key.dptr; rv = apr_dbm_nextkey(file->db, &key)) {
        ++n;
        const std::string_view entry(key.dptr, key.dsize);
        std::string_view normalised;
        std::string problem = cors::map_entry_key(entry, buffer, normalised);
        if (!problem.empty()) {
            ++out.count.skipped;
            if (out.problems.size() < kLoggedProblems)
                out.problems.push_back(cors::ListProblem{n, std::string(entry.substr(0, 120)), problem});
            continue;
        }
        ++file->keys;
        if (normalised != entry) aliases.add(normalised);
        if (builder && builder->add(normalised)) ++out.count.added;
        if (builder && out.count.added > kDbmLookupAbove) builder.reset();  // looked up in the file
    }
    if (rv != APR_SUCCESS) {
        error = "cannot read the DBM file '" + m.path + "': " + apr_error(rv);
        return false;
    }
    if (builder) {
        out.set = builder->finish();
        return true;
    }
    out.count.added = file->keys;
    file->aliases = aliases.finish();
    if (!keep_open) {
        apr_dbm_close(file->db);
        file->db = nullptr;
    }
    out.file = std::move(file);
    return true;
}

void log_problems(const Map& m, server_rec* s, apr_pool_t* pool, const Loaded& loaded) {
    const char* unit = m.type == Type::Txt ? "line" : "key";
    for (const cors::ListProblem& p : loaded.problems)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     CORS_LOGNO(00201) "CORSOriginMap %s: %s %s %" APR_SIZE_T_FMT ": '%s' skipped: %s", m.name.c_str(),
                     m.path.c_str(), unit, p.line, ap_escape_logitem(pool, p.text.c_str()), p.error.c_str());
    if (loaded.count.skipped > loaded.problems.size())
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     CORS_LOGNO(00202) "CORSOriginMap %s: %s: %" APR_SIZE_T_FMT " more invalid %ss skipped",
                     m.name.c_str(), m.path.c_str(), loaded.count.skipped - loaded.problems.size(), unit);
}

// Puts `file` in place of the map's file (null: none), forgetting every answer of the old.
void replace_file(Map& m, std::unique_ptr<DbmFile> file) {
    std::unique_ptr<DbmFile> old;
    {
        std::lock_guard<std::mutex> lock(m.file_mutex);
        old = std::move(m.file);
        m.file = std::move(file);
        if (m.file_answers) m.file_answers->clear();
    }
}  // the old file is closed here, out of the lock

// Reads the map's file(s) and publishes what requests read: a new set, or a dbm: file to
// look origins up in (opened only when `in_child`). False (and `error`) when they cannot be
// read: what is in use stays. Called by one thread at a time per map.
bool reload(Map& m, server_rec* s, bool in_child, std::string& error) {
    TempPool tmp;
    if (!tmp.pool) {
        error = "out of memory";
        return false;
    }
    Loaded loaded;
    if (!(m.type == Type::Txt ? load_txt(m, loaded, error) : load_dbm(m, in_child, loaded, error)))
        return false;
    log_problems(m, s, tmp.pool, loaded);
    loaded.sig.racy = racy(loaded.sig);
    const bool was_looked_up = m.looked_up.load();
    if (loaded.file) {
        // A request sees the set until the flag turns, then the file (or, in between, the set).
        const std::size_t aliases = loaded.file->aliases->size();
        replace_file(m, std::move(loaded.file));
        m.looked_up.store(true, std::memory_order_release);
        m.set.publish(nullptr);
        ap_log_error(APLOG_MARK, was_looked_up ? APLOG_DEBUG : APLOG_INFO, 0, s,
                     "CORSOriginMap %s: %" APR_SIZE_T_FMT " origins in %s, looked up in the file (more than %"
                     APR_SIZE_T_FMT "; %" APR_SIZE_T_FMT " not written normalised, held in memory)",
                     m.name.c_str(), loaded.count.added, m.path.c_str(), kDbmLookupAbove, aliases);
    } else {
        const std::size_t bytes = loaded.set->bytes();
        m.set.publish(std::move(loaded.set));  // returns once the old set is freed
        m.looked_up.store(false, std::memory_order_release);
        if (was_looked_up) replace_file(m, nullptr);
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                     "CORSOriginMap %s: %" APR_SIZE_T_FMT " origins read from %s (%" APR_SIZE_T_FMT " bytes)",
                     m.name.c_str(), loaded.count.added, m.path.c_str(), bytes);
    }
    m.signature = loaded.sig;
    return true;
}

// A child's own handle on a looked-up dbm: file the configuration read (handles are not
// shared across fork). A file replaced since is read again at the reloader's first check.
void open_in_child(Map& m, server_rec* s) {
    std::string error;
    Signature sig;
    std::size_t bytes = 0;
    std::lock_guard<std::mutex> lock(m.file_mutex);
    if (!m.file || m.file->db) return;
    if (open_dbm(m, *m.file, sig, bytes, error)) {
        if (!(sig == m.signature)) m.signature = Signature();  // not the version read: read it again
        return;
    }
    m.signature = Signature();
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, CORS_LOGNO(00211) "CORSOriginMap %s: %s; origins not cached are refused "
                 "until it can be read", m.name.c_str(), error.c_str());
}

// One check of a file map by the reloader: reloads when the file may have changed.
void check(Map& m, server_rec* s) noexcept {
    try {
        TempPool tmp;
        Signature sig;
        std::string error;
        if (tmp.pool && signature_of(m, tmp.pool, sig, error) && sig == m.signature && !m.signature.racy) return;
        if (error.empty() && reload(m, s, true, error)) return;
        if (m.throttle.allow(cors::steady_milliseconds()))
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, CORS_LOGNO(00203) "CORSOriginMap %s: %s; keeping the list read before",
                         m.name.c_str(), error.c_str());
    } catch (...) {
        if (m.throttle.allow(cors::steady_milliseconds()))
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                         CORS_LOGNO(00204) "CORSOriginMap %s: reload failed (out of memory?); keeping the list read before",
                         m.name.c_str());
    }
}

// ----------------------------------------------------------------- the reloader

// One thread per child process that checks the file maps, each every CORSOriginMapCache
// seconds (at least kMinCheckMs apart), one after the other: one reload per process at a
// time, off the request path. Its mutex guards only `stop` (never held while reading).
struct Reloader {
    std::vector<Map*> maps;
    server_rec* server = nullptr;
    std::mutex mutex;
    std::condition_variable wake;
    bool stop = false;
    std::thread thread;

    void run() noexcept {
        using Clock = std::chrono::steady_clock;
        for (;;) {
            std::int64_t next = cors::steady_milliseconds() + 3600 * 1000;
            for (Map* m : maps) {
                if (cors::steady_milliseconds() >= m->next_check_ms) {
                    check(*m, server);
                    m->next_check_ms = cors::steady_milliseconds() + std::max(m->ttl_ms, kMinCheckMs);
                }
                next = std::min(next, m->next_check_ms);
            }
            std::unique_lock<std::mutex> lock(mutex);
            const auto until = Clock::time_point(std::chrono::milliseconds(next));
            if (wake.wait_until(lock, until, [this] { return stop; })) return;
        }
    }
};

// Stops the reloader before the child's pool goes (a pre-cleanup: before the subpools
// and the configuration it reads are destroyed). Waits for a reload under way.
apr_status_t stop_reloader(void* data) {
    auto* r = static_cast<Reloader*>(data);
    {
        std::lock_guard<std::mutex> lock(r->mutex);
        r->stop = true;
    }
    r->wake.notify_all();
    if (r->thread.joinable()) r->thread.join();
    delete r;
    return APR_SUCCESS;
}

void child_init(apr_pool_t* pchild, server_rec* main_server) {
    try {
        std::set<Map*> seen;
        auto reloader = std::make_unique<Reloader>();
        for (server_rec* s = main_server; s; s = s->next) {
            const ServerConf* conf = conf_of(s);
            if (!conf || !conf->maps) continue;
            for (apr_hash_index_t* hi = apr_hash_first(pchild, conf->maps); hi; hi = apr_hash_next(hi)) {
                Map* m = static_cast<Map*>(apr_hash_this_val(hi));
                if (m->type == Type::Dbd || !seen.insert(m).second) continue;
                if (m->looked_up.load()) open_in_child(*m, main_server);
                m->next_check_ms = cors::steady_milliseconds() + std::max(m->ttl_ms, kMinCheckMs);
                reloader->maps.push_back(m);
            }
        }
        if (reloader->maps.empty()) return;
        reloader->server = main_server;
        // Every signal blocked in the new thread (it inherits this mask): httpd's handlers
        // run in the threads that expect them.
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        Reloader* r = reloader.get();
        try {
            r->thread = std::thread([r] { r->run(); });
        } catch (...) {
            pthread_sigmask(SIG_SETMASK, &old, nullptr);
            throw;
        }
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        apr_pool_pre_cleanup_register(pchild, reloader.release(), stop_reloader);
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, main_server,
                     CORS_LOGNO(00210) "CORSOriginMap: cannot start the thread that reloads the maps (%s): they keep "
                     "the lists read at start-up",
                     e.what());
    }
}

// ----------------------------------------------------------------- asking

cors::MapAnswer ask_set(const Map& m, std::string_view key, std::size_t hash) noexcept {
    const cors::PublishedSet::Reader read(m.set);
    const cors::OriginSet* set = read.get();
    if (!set) return cors::MapAnswer::Unavailable;
    return set->contains(key, hash) ? cors::MapAnswer::Allowed : cors::MapAnswer::NotListed;
}

// The clock of the answer caches: httpd's request time, in milliseconds (read by httpd
// for every request anyway).
std::int64_t request_ms(const request_rec* r) noexcept { return apr_time_as_msec(r->request_time); }

// The answer cache of `m` for the database `r`'s virtual host uses; null when none
// (then the database is asked every time).
cors::AnswerCache* cache_of(Map& m, request_rec* r) {
    const ServerConf* conf = conf_of(r->server);
    auto it = m.caches.find(conf ? conf->dbd_home : nullptr);
    return it == m.caches.end() ? nullptr : it->second.get();
}

// A thread's latest dbd: answers, in front of the shared answer cache: a cached answer is
// read without a lock. Kept for the figure of bench "variants" (a cached dbd: answer within
// 1.2x of an exact origin: 1.19x with it). An entry names the answer cache it copies (one
// per map and database) and the time that cache stored its answer at, and expires with
// it, so an answer is reused no longer than CORSOriginMapCache allows and never for
// another database.
constexpr std::size_t kFrontKeyMax = 256;
constexpr unsigned kFrontAnswers = 4;
struct FrontAnswer {
    std::uint64_t cache_id = 0;  // cache ids start at 1
    std::int64_t stored_ms = 0;
    bool allowed = false;
    std::size_t size = 0;
    char key[kFrontKeyMax];
};
thread_local FrontAnswer tl_front[kFrontAnswers];
thread_local unsigned tl_front_next = 0;

cors::AnswerCache::Hit cached_answer(cors::AnswerCache& cache, std::string_view key, std::int64_t now) {
    using Hit = cors::AnswerCache::Hit;
    for (FrontAnswer& f : tl_front) {
        if (f.cache_id != cache.id() || f.size != key.size() || std::memcmp(f.key, key.data(), key.size())) continue;
        if (now >= f.stored_ms && now - f.stored_ms < cache.ttl_ms()) return f.allowed ? Hit::Allowed : Hit::NotListed;
        f.cache_id = 0;  // expired here as in the shared cache
        break;
    }
    std::int64_t stored = 0;
    const std::uint64_t id = cache.id();  // before the answer: a clear() in between leaves the copy stale-marked
    const Hit hit = cache.get(key, now, &stored);
    if (hit != Hit::Miss && key.size() <= kFrontKeyMax) {
        FrontAnswer& f = tl_front[tl_front_next++ % kFrontAnswers];
        f.cache_id = id;
        f.stored_ms = stored;
        f.allowed = hit == Hit::Allowed;
        f.size = key.size();
        std::memcpy(f.key, key.data(), key.size());
    }
    return hit;
}

// Runs the map's statement for `arg`. When it fails, the query is tried once more, prepared
// into the request's pool without a label (pgsql then sends it unnamed), so that a failure
// costs nothing beyond the request; only when that works (mod_dbd reset a broken
// connection, pgsql's PQreset, which loses the statements prepared on it) is the statement
// prepared again for the connection's life: once per reset. (Today's main re-prepared into
// the connection's pool on every failing request: a child grew while the database was broken.)
int run_query(Map& m, request_rec* r, ap_dbd_t* db, apr_dbd_prepared_t* stmt, const char* arg,
              apr_dbd_results_t*& res) {
    // random = 1: the whole result at once, so that a failure shows here and not as "no
    // row" (pgsql's sequential mode reports errors as the end of the rows).
    const int rv = apr_dbd_pvselect(db->driver, r->pool, db->handle, &res, stmt, 1, arg, nullptr);
    if (rv == 0) return 0;
    apr_dbd_prepared_t* again = nullptr;
    if (apr_dbd_prepare(db->driver, r->pool, db->handle, m.query.c_str(), nullptr, &again) != 0 || !again) return rv;
    res = nullptr;
    if (apr_dbd_pvselect(db->driver, r->pool, db->handle, &res, again, 1, arg, nullptr) != 0) return rv;
    apr_dbd_prepared_t* kept = nullptr;
    if (apr_dbd_prepare(db->driver, db->pool, db->handle, m.query.c_str(), m.label.c_str(), &kept) == 0 && kept)
        apr_hash_set(db->prepared, m.label.c_str(), APR_HASH_KEY_STRING, kept);  // the label outlives the connection
    return 0;
}

// SIGTERM and SIGHUP held off for the life of the guard, then delivered. Prefork ends a
// child from those signals' handler (clean_child_exit destroys the child's pool in the
// middle of whatever the child was doing): what a request holds must not be out then. (The
// event MPM's worker threads have these signals blocked already.)
class StopSignalsHeld {
public:
    StopSignalsHeld() noexcept {
        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &stop, &saved_);
    }
    ~StopSignalsHeld() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
    StopSignalsHeld(const StopSignalsHeld&) = delete;
    StopSignalsHeld& operator=(const StopSignalsHeld&) = delete;

private:
    sigset_t saved_;
};

// A connection of mod_dbd's pool, out for one query only (ap_dbd_open .. ap_dbd_close), with
// the stop signals held. mod_dbd's connection pool, made in child_init, goes before the
// pools of the request: a connection still out when prefork's handler destroys them fails
// apr_reslist's cleanup (assertion 'rl->ntotal == 0', the child aborts at exit).
// ap_dbd_acquire(r) kept the connection until the request's pool went, through the whole
// response: a child stopped while it sent an answer (or descheduled right after) aborted.
class DbdLease {
public:
    explicit DbdLease(request_rec* r) noexcept : s_(r->server) {
        db_ = g_dbd_open ? g_dbd_open(r->pool, s_) : nullptr;
    }
    ~DbdLease() {
        if (db_) g_dbd_close(s_, db_);
    }
    DbdLease(const DbdLease&) = delete;
    DbdLease& operator=(const DbdLease&) = delete;
    ap_dbd_t* get() const noexcept { return db_; }

private:
    const StopSignalsHeld held_;  // first in, last out
    server_rec* s_;
    ap_dbd_t* db_ = nullptr;
};

cors::MapAnswer ask_dbd(Map& m, request_rec* r, std::string_view key) {
    cors::AnswerCache* cache = cache_of(m, r);
    if (cache) {
        switch (cached_answer(*cache, key, request_ms(r))) {
            case cors::AnswerCache::Hit::Allowed: return cors::MapAnswer::Allowed;
            case cors::AnswerCache::Hit::NotListed: return cors::MapAnswer::NotListed;
            case cors::AnswerCache::Hit::Miss: break;
        }
    }
    const std::int64_t now = cors::steady_milliseconds();
    const DbdLease lease(r);
    ap_dbd_t* db = lease.get();
    if (!db) {
        if (m.throttle.allow(now))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          CORS_LOGNO(00205) "CORSOriginMap %s: no database connection (mod_dbd); origins the cache "
                          "does not know are refused",
                          m.name.c_str());
        return cors::MapAnswer::Unavailable;
    }
    auto* stmt = static_cast<apr_dbd_prepared_t*>(apr_hash_get(db->prepared, m.label.c_str(), APR_HASH_KEY_STRING));
    if (!stmt) {
        if (m.throttle.allow(now))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          CORS_LOGNO(00206) "CORSOriginMap %s: the query is not prepared on this connection",
                          m.name.c_str());
        return cors::MapAnswer::Unavailable;
    }
    const char* arg = apr_pstrmemdup(r->pool, key.data(), key.size());
    apr_dbd_results_t* res = nullptr;
    const int rv = run_query(m, r, db, stmt, arg, res);
    if (rv != 0) {
        if (m.throttle.allow(now)) {
            const char* why = apr_dbd_error(db->driver, db->handle, rv);
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CORS_LOGNO(00207) "CORSOriginMap %s: query failed: %s",
                          m.name.c_str(), why ? why : "unknown error");
        }
        return cors::MapAnswer::Unavailable;  // nothing cached: a failure is never an answer
    }
    int rows = 0;
    apr_dbd_row_t* row = nullptr;
    while (apr_dbd_get_row(db->driver, r->pool, res, &row, -1) == 0) ++rows;  // read them all
    if (cache) cache->put(key, rows > 0, request_ms(r));
    return rows > 0 ? cors::MapAnswer::Allowed : cors::MapAnswer::NotListed;
}

// A dbm: map looked up in the file: its cached answer, or the file (and the keys not
// written normalised) asked under the map's file mutex, the answer stored under it too
// (the reloader clears the answers as it replaces the file: none of the old one stays).
cors::MapAnswer ask_file(Map& m, request_rec* r, std::string_view key) {
    cors::AnswerCache& cache = *m.file_answers;
    switch (cached_answer(cache, key, request_ms(r))) {
        case cors::AnswerCache::Hit::Allowed: return cors::MapAnswer::Allowed;
        case cors::AnswerCache::Hit::NotListed: return cors::MapAnswer::NotListed;
        case cors::AnswerCache::Hit::Miss: break;
    }
    // The lock is never left held by prefork's stop handler: the child's exit joins the
    // reloader, which may be waiting for it.
    const StopSignalsHeld held;
    std::lock_guard<std::mutex> lock(m.file_mutex);
    if (!m.file) return ask_set(m, key, cors::OriginRules::hash_of(key));  // read whole again since
    if (!m.file->db) return cors::MapAnswer::Unavailable;                  // could not be opened here
    apr_datum_t datum;
    datum.dptr = const_cast<char*>(key.data());
    datum.dsize = key.size();
    const bool listed = m.file->aliases->contains(key) || apr_dbm_exists(m.file->db, datum);
    cache.put(key, listed, request_ms(r));
    return listed ? cors::MapAnswer::Allowed : cors::MapAnswer::NotListed;
}

cors::MapAnswer ask(Map& m, request_rec* r, const cors::Origin& origin) {
    char buffer[cors::kMaxOriginKeyLength];
    const std::string_view key = cors::origin_key(origin, buffer);
    if (key.empty()) return cors::MapAnswer::NotListed;
    if (m.type == Type::Dbd) return ask_dbd(m, r, key);
    if (m.looked_up.load(std::memory_order_acquire) && m.file_answers) return ask_file(m, r, key);
    return ask_set(m, key, cors::OriginRules::hash_of(key));
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
    for (AllowList* list : *g_pending) {
        resolve(*list, conf_of(list->server));
        for (const std::string& name : list->names)
            if (!find_map(conf_of(list->server), name)) {
                ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                             CORS_LOGNO(00208) "CORSAllowOriginMap: no CORSOriginMap named '%s' in this server or "
                             "virtual host (at %s)",
                             name.c_str(), list->where.c_str());
                status = HTTP_INTERNAL_SERVER_ERROR;
            }
    }
    g_pending->clear();
    return status;
}

// The <VirtualHost> sections (file, line) that hold a mod_dbd directive (DBDriver,
// DBDParams, DBDPersist, DBDMin, ...), at any depth of the configuration tree
// (<IfModule>, <IfDefine> and Include are part of it).
void vhosts_with_dbd(const ap_directive_t* node, const ap_directive_t* vhost, std::set<std::pair<std::string, int>>& out) {
    for (; node; node = node->next) {
        const ap_directive_t* inside = vhost;
        if (!strcasecmp(node->directive, "<VirtualHost")) inside = node;
        else if (inside && !strncasecmp(node->directive, "DBD", 3))
            out.emplace(cors_glue::or_empty(inside->filename), inside->line_num);
        vhosts_with_dbd(node->first_child, inside, out);
    }
}

// Which server's mod_dbd configuration each server uses, recorded as its dbd_home: the
// virtual host itself when its section has a mod_dbd directive, the main server otherwise.
// Why this key is right: ap_dbd_open(r->pool, r->server) takes the connection from r->server's mod_dbd
// configuration, which for a virtual host without a mod_dbd directive of its own is the
// main server's merged unchanged (mod_dbd's merge keeps the base's values where the
// virtual host sets none), so its queries run on the main server's database; a virtual
// host with any mod_dbd directive gets a home (and an answer cache) of its own. Two
// servers with one home thus always query the same database; two with the same database
// may have two homes (two caches), never the other way round.
void dbd_homes(server_rec* main_server) {
    std::set<std::pair<std::string, int>> own;
    vhosts_with_dbd(ap_conftree, nullptr, own);
    for (server_rec* s = main_server; s; s = s->next) {
        ServerConf* conf = conf_of(s);
        if (!conf) continue;
        const bool has_own = s != main_server && s->defn_name &&
                             own.count({std::string(s->defn_name), static_cast<int>(s->defn_line_number)});
        conf->dbd_home = has_own ? s : main_server;
    }
}

// The cache time of each map is its server's CORSOriginMapCache, known once merged; each
// dbd: map gets an answer cache per database home of the servers that can use it.
int post_config(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* main_server) {
    dbd_homes(main_server);
    for (server_rec* s = main_server; s; s = s->next) {
        const ServerConf* conf = conf_of(s);
        if (!conf || !conf->maps) continue;
        for (apr_hash_index_t* hi = apr_hash_first(nullptr, conf->maps); hi; hi = apr_hash_next(hi)) {
            Map* m = static_cast<Map*>(apr_hash_this_val(hi));
            const ServerConf* defined = conf_of(m->server);
            const apr_interval_time_t cache = defined->cache < 0 ? kDefaultCache : defined->cache;
            m->ttl_ms = apr_time_as_msec(cache);
            if (m->type == Type::Dbm && !m->file_answers)
                m->file_answers = std::make_unique<cors::AnswerCache>(kCacheEntries, m->ttl_ms);
            if (m->type != Type::Dbd) continue;
            std::unique_ptr<cors::AnswerCache>& c = m->caches[conf->dbd_home];
            if (!c) c = std::make_unique<cors::AnswerCache>(kCacheEntries, m->ttl_ms);
        }
    }
    return OK;
}

}  // namespace

// ----------------------------------------------------------------- directives

const char* set_origin_map(cmd_parms* cmd, void*, const char* name_arg, const char* source_arg) {
    return guarded(cmd, [&]() -> const char* {
        const std::string name(name_arg), source(source_arg);
        if (!valid_name(name))
            return error_text(cmd, "'" + name + "' is not a valid map name (letters, digits, '_', '-', '.')");
        ServerConf* conf = conf_of(cmd->server);
        if (const Map* other = find_map(conf, name); other && other->server == cmd->server)
            return error_text(cmd, "map '" + name + "' is already defined at " + other->where);
        const std::size_t colon = source.find(':');
        if (colon == std::string::npos)
            return error_text(cmd, "'" + source + "' has no type: txt:/path, dbm[=type]:/path or dbd:SQL");
        const std::string type = source.substr(0, colon);
        const std::string rest = source.substr(colon + 1);
        Map* m = pool_owned<Map>(cmd->pool);
        m->name = name;
        m->source = source;
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
            if (!reload(*m, cmd->server, false, error)) return error_text(cmd, "map '" + name + "': " + error);
        } else if (type == "dbd") {
            std::size_t placeholders = 0;
            for (std::size_t at = rest.find("%s"); at != std::string::npos; at = rest.find("%s", at + 2)) ++placeholders;
            if (placeholders != 1)
                return error_text(cmd, "map '" + name + "': the query must have exactly one %s (the origin), not " +
                                           std::to_string(placeholders));
            if (!g_dbd_prepare) g_dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
            if (!g_dbd_open) g_dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
            if (!g_dbd_close) g_dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
            if (!g_dbd_prepare || !g_dbd_open || !g_dbd_close)
                return error_text(cmd, "map '" + name + "': dbd: needs mod_dbd (LoadModule dbd_module before this "
                                       "line, and DBDriver/DBDParams)");
            m->type = Type::Dbd;
            m->query = rest;
            m->label = kLabelPrefix + name;
            g_dbd_prepare(cmd->server, apr_pstrdup(cmd->pool, m->query.c_str()), apr_pstrdup(cmd->pool, m->label.c_str()));
        } else {
            return error_text(cmd, "map '" + name + "': unknown type '" + type + "' (txt:, dbm[=type]: or dbd:)");
        }
        // A map of the same name inherited from the main server is replaced (merge: overlay).
        apr_hash_set(conf->maps, m->name.c_str(), static_cast<apr_ssize_t>(m->name.size()), m);
        return nullptr;
    });
}

const char* set_origin_map_cache(cmd_parms* cmd, void*, const char* arg) {
    // httpd's own parser of a time ("30" in seconds, or "500ms", "2min", "1h"). It reads
    // only a unit's first letters ("soon" would be 0 s), so the text is checked first:
    // digits, then nothing or one of its units.
    const std::string_view text(arg);
    const std::size_t digits = text.find_first_not_of("0123456789");
    const std::string_view unit = digits == std::string_view::npos ? std::string_view() : text.substr(digits);
    const bool known = digits != 0 && (unit.empty() || unit == "s" || unit == "ms" || unit == "mi" || unit == "min" ||
                                       unit == "h");
    apr_interval_time_t value = 0;
    if (!known || ap_timeout_parameter_parse(arg, &value, "s") != APR_SUCCESS || value < 0 || value > kMaxCache)
        return error_text(cmd, "'" + std::string(arg) + "' is not a time from 0 to 31536000 seconds (\"30\", "
                               "\"500ms\", \"2min\")");
    conf_of(cmd->server)->cache = value;
    return nullptr;
}

const char* allow_origin_map(cmd_parms* cmd, AllowList*& list, const char* name_arg) {
    return guarded(cmd, [&]() -> const char* {
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
        if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_RUN_MPM) resolve(*list, conf_of(cmd->server));
        return nullptr;
    });
}

void* create_server_config(apr_pool_t* p, server_rec*) {
    auto* conf = static_cast<ServerConf*>(apr_pcalloc(p, sizeof(ServerConf)));
    conf->maps = apr_hash_make(p);
    conf->cache = kUnset;
    return conf;
}

void* merge_server_config(apr_pool_t* p, void* base_v, void* add_v) {
    const auto* base = static_cast<const ServerConf*>(base_v);
    const auto* add = static_cast<const ServerConf*>(add_v);
    auto* conf = static_cast<ServerConf*>(apr_pcalloc(p, sizeof(ServerConf)));
    // The virtual host's own win; one that defines none shares its base's registry (so that
    // lists resolved there serve it as they are).
    conf->maps = apr_hash_count(add->maps) ? apr_hash_overlay(p, add->maps, base->maps) : base->maps;
    conf->cache = add->cache >= 0 ? add->cache : base->cache;
    return conf;
}

std::vector<MapSource> map_sources(server_rec* s) {
    std::vector<MapSource> out;
    const ServerConf* conf = conf_of(s);
    if (!conf || !conf->maps) return out;
    for (apr_hash_index_t* hi = apr_hash_first(nullptr, conf->maps); hi; hi = apr_hash_next(hi)) {
        const Map* m = static_cast<const Map*>(apr_hash_this_val(hi));
        out.push_back(MapSource{m->name, m->source, m->where});
    }
    std::sort(out.begin(), out.end(), [](const MapSource& a, const MapSource& b) { return a.name < b.name; });
    return out;
}

void register_hooks(apr_pool_t*) {
    ap_hook_pre_config(pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_child_init(child_init, nullptr, nullptr, APR_HOOK_MIDDLE);
}

// ----------------------------------------------------------------- requests

RequestOracle::RequestOracle(request_rec* r, const AllowList* list, cors::Policy& policy) noexcept
    : r_(r), list_(list) {
    if (list && !list->names.empty()) policy.maps = this;
}

bool RequestOracle::lists_serialised(std::string_view text, std::size_t hash, cors::Origin& out) const noexcept {
    bool listed = false;
    try {
        for_each_listed(*list_, r_, [&](const std::string&, Map* m) {
            if (!m) return false;
            if (m->type == Type::Dbd || m->looked_up.load(std::memory_order_acquire)) {
                cors::AnswerCache* cache = m->type == Type::Dbd ? cache_of(*m, r_) : m->file_answers.get();
                listed = cache && cached_answer(*cache, text, request_ms(r_)) == cors::AnswerCache::Hit::Allowed;
            } else {
                listed = ask_set(*m, text, hash) == cors::MapAnswer::Allowed;
            }
            return listed;
        });
    } catch (...) {
        listed = false;
    }
    if (listed) cors::origin_from_key(text, out);  // a listed key is a normalised origin: views into `text`
    return listed;
}

cors::MapAnswer RequestOracle::lookup(const cors::Origin& origin, std::string_view& unavailable) const noexcept {
    cors::MapAnswers answers;
    try {
        for_each_listed(*list_, r_, [&](const std::string& name, Map* m) {
            if (!m && g_unknown_throttle.allow(cors::steady_milliseconds()))
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r_,
                              CORS_LOGNO(00209) "CORSAllowOriginMap: no CORSOriginMap named '%s' in this virtual host",
                              name.c_str());
            return answers.add(m ? ask(*m, r_, origin) : cors::MapAnswer::Unavailable, name);
        });
    } catch (...) {
        answers.add(cors::MapAnswer::Unavailable, list_->names.front());
    }
    unavailable = answers.unavailable();
    return answers.result();
}

}  // namespace cors_maps

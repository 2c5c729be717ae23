// The policy view (policy_view.hpp): every scope of the main configuration with its CORS
// directives as httpd read them, what it inherits by the sections around it, the checks on
// that merged policy, and `apachectl -t -D DUMP_CORS`.

#include "policy_view.hpp"
#include "config.hpp"

#include "http_core.h"
#include "http_main.h"
#include "util_cfgtree.h"
#include "apr_lib.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace cors_glue {
namespace {

// One scope: a section (or a server's own level) with CORS directives of its own.
struct Scope {
    DirConfig* conf = nullptr;
    const ap_directive_t* section = nullptr;  // null: the main server's own level
    const ap_directive_t* vhost = nullptr;    // the enclosing <VirtualHost>, if any
    const ap_directive_t* parent = nullptr;   // the section around `section` (<Files> in <Directory>)
    server_rec* server = nullptr;
    std::string kind;                         // "server", "VirtualHost", "Directory", "Files", ...
    std::string path;                         // the section's argument
    bool regex = false;
    std::vector<const ap_directive_t*> lines;
};

struct View {
    bool open = false;                        // the main configuration is being read
    std::vector<Scope> scopes;
    std::vector<std::pair<const server_rec*, bool>> strict;
};

View* g_view = nullptr;

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(apr_tolower(c));
    return s;
}

bool is_section(const ap_directive_t* d) {
    static const char* const kSections[] = {"<directory", "<directorymatch", "<location", "<locationmatch",
                                            "<files", "<filesmatch", "<if", "<elseif", "<else",
                                            "<proxy", "<proxymatch", "<virtualhost"};
    const std::string name = lower(d->directive);
    return std::any_of(std::begin(kSections), std::end(kSections), [&](const char* s) { return name == s; });
}

const ap_directive_t* section_of(const ap_directive_t* d) {
    for (const ap_directive_t* p = d ? d->parent : nullptr; p; p = p->parent)
        if (is_section(p)) return p;
    return nullptr;
}

// The section's argument: "/var/www" for <Directory "/var/www">.
std::string argument_of(const ap_directive_t* section) {
    std::string a = or_empty(section->args);
    if (!a.empty() && a.back() == '>') a.pop_back();
    while (!a.empty() && a.back() == ' ') a.pop_back();
    if (a.size() >= 2 && (a.front() == '"' || a.front() == '\'') && a.back() == a.front()) a = a.substr(1, a.size() - 2);
    return a;
}

std::string where(const ap_directive_t* d) {
    return d ? std::string(or_empty(d->filename)) + ":" + std::to_string(d->line_num) : std::string("-");
}

// The arguments of a directive line as httpd splits them.
std::vector<std::string> words(apr_pool_t* p, const ap_directive_t* d) {
    std::vector<std::string> out;
    const char* args = or_empty(d->args);
    while (*args) {
        const char* w = ap_getword_conf(p, &args);
        if (!*w && !*args) break;
        out.emplace_back(w);
    }
    return out;
}

std::string line_text(const ap_directive_t* d) { return std::string(d->directive) + " " + or_empty(d->args); }

std::string name_of(const Scope& s) {
    if (s.kind == "server") return "main server config";
    if (s.kind == "VirtualHost") return "<VirtualHost " + s.path + "> level";
    return "<" + s.kind + " " + s.path + ">";
}

std::string vhost_title(const Scope& s) {
    if (!s.vhost) return "Main server";
    std::string name = s.server && s.server->server_hostname ? std::string(" (ServerName ") + s.server->server_hostname + ")" : "";
    return "<VirtualHost " + argument_of(s.vhost) + ">" + name + " at " + where(s.vhost);
}

bool applies_in(const Scope& outer, const Scope& x) { return !outer.vhost || outer.vhost == x.vhost; }

bool directory_prefix(const std::string& a, const std::string& b) {
    if (a.empty() || b.compare(0, a.size(), a) != 0) return false;
    return a.size() == b.size() || a.back() == '/' || b[a.size()] == '/';
}

// ---------------------------------------------------------------- the chain

// The scopes whose values scope `x` inherits, outermost first, `x` last: the main server,
// its virtual host, then the sections around it by path (<Directory> by directory,
// <Location> by URL prefix, <Files> inside its <Directory>), as httpd merges them.
std::vector<const Scope*> chain_of(const View& v, const Scope& x) {
    std::vector<const Scope*> chain;
    for (const Scope& s : v.scopes)
        if (&s != &x && s.kind == "server") chain.push_back(&s);
    if (x.kind != "server")
        for (const Scope& s : v.scopes)
            if (&s != &x && s.kind == "VirtualHost" && s.vhost == x.vhost) chain.push_back(&s);
    auto by_path = [&](const std::string& kind, const std::string& path, bool directories) {
        std::vector<const Scope*> found;
        for (const Scope& s : v.scopes)
            if (&s != &x && s.kind == kind && !s.regex && applies_in(s, x) &&
                (directories ? directory_prefix(s.path, path) : path.compare(0, s.path.size(), s.path) == 0))
                found.push_back(&s);
        std::stable_sort(found.begin(), found.end(),
                         [](const Scope* a, const Scope* b) { return a->path.size() < b->path.size(); });
        chain.insert(chain.end(), found.begin(), found.end());
    };
    if (x.kind == "Directory" && !x.regex) by_path("Directory", x.path, true);
    else if (x.kind == "Location" && !x.regex) by_path("Location", x.path, false);
    else if (x.parent && x.kind != "VirtualHost") {
        const std::string parent_kind = std::string(x.parent->directive).substr(1);
        if (!strcasecmp(parent_kind.c_str(), "Directory")) by_path("Directory", argument_of(x.parent), true);
        else
            for (const Scope& s : v.scopes)
                if (s.section == x.parent) chain.push_back(&s);
    }
    chain.push_back(&x);
    return chain;
}

DirConfig* merged_of(apr_pool_t* p, const std::vector<const Scope*>& chain) {
    DirConfig* c = chain.front()->conf;
    for (std::size_t i = 1; i < chain.size(); ++i) c = static_cast<DirConfig*>(merge_dir_config(p, c, chain[i]->conf));
    return c;
}

// For each directive name, the innermost scope of the chain that sets it and its lines.
struct Source {
    const Scope* scope;
    std::vector<const ap_directive_t*> lines;
};
std::map<std::string, Source> provenance(const std::vector<const Scope*>& chain) {
    std::map<std::string, Source> by_name;
    for (const Scope* s : chain) {
        std::map<std::string, Source> own;
        for (const ap_directive_t* d : s->lines) {
            Source& src = own[d->directive];
            src.scope = s;
            src.lines.push_back(d);
        }
        for (auto& [name, src] : own) by_name[name] = src;
    }
    return by_name;
}

// ---------------------------------------------------------------- findings

struct Finding {
    bool error;  // an error whatever CORSStrict says
    std::string text;
};

struct Checked {
    const Scope* scope;
    std::vector<const Scope*> chain;
    DirConfig* merged;
    std::map<std::string, Source> from;
    std::vector<Finding> findings;
    std::vector<std::string> maps;  // "name" of CORSAllowOriginMap in force
};

bool strict_for(const View& v, const Scope& x, const server_rec* main_server) {
    const server_rec* server = x.vhost ? x.server : main_server;
    bool strict = false;
    for (const auto& [s, on] : v.strict)
        if (s == main_server) strict = on;
    for (const auto& [s, on] : v.strict)
        if (s == server) strict = on;
    return strict;
}

// The place a warning's directive was written: the line whose arguments hold `argument`.
std::string place_of(const std::map<std::string, Source>& from, const std::string& directive, const std::string& argument) {
    auto it = from.find(directive);
    if (it == from.end()) return std::string();
    for (const ap_directive_t* d : it->second.lines)
        if (lower(or_empty(d->args)).find(lower(argument)) != std::string::npos) return where(d);
    return where(it->second.lines.front());
}

bool sets(const Scope& s, const char* directive) {
    return std::any_of(s.lines.begin(), s.lines.end(), [&](const ap_directive_t* d) { return !strcasecmp(d->directive, directive); });
}

const char* const kKnownSchemes[] = {"http", "https", "ws", "wss", "chrome-extension", "moz-extension",
                                     "safari-web-extension", "ms-browser-extension", "capacitor", "ionic",
                                     "app", "tauri", "file"};

void check_scope_lines(apr_pool_t* p, const Scope& x, std::vector<Finding>& out) {
    static const char* const kUpper[] = {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"};
    for (const ap_directive_t* d : x.lines) {
        if (!strcasecmp(d->directive, "CORSAllowMethods")) {
            for (const std::string& m : words(p, d)) {
                std::string upper = m;
                for (char& c : upper) c = static_cast<char>(apr_toupper(c));
                if (upper != m && std::any_of(std::begin(kUpper), std::end(kUpper), [&](const char* u) { return upper == u; }))
                    out.push_back({false, "CORSAllowMethods " + m + " (" + where(d) +
                                              "): browsers send " + upper + " in upper case and methods are "
                                              "case-sensitive, so no preflight ever asks for " + m + "; write " + upper});
            }
        } else if (!strcasecmp(d->directive, "CORSAllowOrigin")) {
            for (const std::string& o : words(p, d)) {
                const std::size_t sep = o.find("://");
                if (sep == std::string::npos) continue;
                const std::string scheme = lower(o.substr(0, sep));
                if (std::any_of(std::begin(kKnownSchemes), std::end(kKnownSchemes), [&](const char* k) { return scheme == k; }))
                    continue;
                out.push_back({false, "CORSAllowOrigin " + o + " (" + where(d) + "): '" + scheme +
                                          "' is not a scheme browsers send in Origin (http, https, extensions, app "
                                          "shells); " + (scheme.find("tp") != std::string::npos || scheme.find("ht") != std::string::npos
                                                              ? std::string("did you mean https?")
                                                              : std::string("check the spelling"))});
            }
        }
    }
}

using Chains = std::map<const Scope*, std::vector<const Scope*>>;

// Every scope's chain, computed once: the no-op checks ask which scopes inherit from which.
Chains chains_of(const View& v) {
    Chains chains;
    for (const Scope& s : v.scopes) chains[&s] = chain_of(v, s);
    return chains;
}

Checked check_one(apr_pool_t* p, const View& v, const Chains& chains, const Scope& x, const server_rec* main_server) {
    Checked r;
    r.scope = &x;
    r.chain = chains.at(&x);
    r.merged = merged_of(p, r.chain);
    r.from = provenance(r.chain);
    if (auto it = r.from.find("CORSAllowOriginMap"); it != r.from.end())
        for (const ap_directive_t* d : it->second.lines)
            for (const std::string& name : words(p, d)) r.maps.push_back(name);

    const cors::Policy policy = policy_of(r.merged);
    std::vector<std::string> errors, warnings;
    cors::check_policy(policy, errors, warnings);
    const bool inherits = r.chain.size() > 1;
    for (const std::string& e : errors) {
        // The scope alone passed its directive checks: an error here comes from what it inherits.
        std::string places;
        for (const auto& [name, src] : r.from)
            if (e.find(name) != std::string::npos)
                places += (places.empty() ? "" : ", ") + name + " at " + where(src.lines.front()) +
                          (src.scope == &x ? "" : " (" + name_of(*src.scope) + ")");
        if (inherits) r.findings.push_back({true, "in " + name_of(x) + ": " + e + " [" + places + "]"});
    }
    for (const std::string& w : warnings) {
        // "CORSAllowOriginMatch \"...\" allows ..." or "CORSAllowOrigin x allows ...": point at the line.
        std::string place;
        if (w.rfind("CORSAllowOriginMatch \"", 0) == 0) {
            const std::size_t end = w.find("\" ", 22);
            place = place_of(r.from, "CORSAllowOriginMatch", w.substr(22, end == std::string::npos ? 0 : end - 22));
        } else if (w.rfind("CORSAllowOrigin ", 0) == 0) {
            place = place_of(r.from, "CORSAllowOrigin", w.substr(16, w.find(' ', 16) - 16));
        } else if (w.rfind("CORSExposeHeaders", 0) == 0) {
            place = place_of(r.from, "CORSExposeHeaders", "*");
        }
        std::string text = w + (place.empty() ? "" : " (" + place + ")");
        if (w.find("credentials") != std::string::npos || w.find("Credentials") != std::string::npos)
            if (auto it = r.from.find("CORSAllowCredentials"); it != r.from.end())
                text += " [CORSAllowCredentials at " + where(it->second.lines.back()) + "]";
        r.findings.push_back({false, text});
    }
    check_scope_lines(p, x, r.findings);

    // Silent no-ops.
    const bool only_engine_off = std::all_of(x.lines.begin(), x.lines.end(), [](const ap_directive_t* d) {
        return !strcasecmp(d->directive, "CORSEngine");
    });
    if (!engine_on(r.merged) && !only_engine_off) {
        bool maybe_on = false;  // a <Location> may lie under a <Directory> that turns it on
        if (x.kind == "Location" || x.kind == "LocationMatch")
            for (const Scope& s : v.scopes)
                if (s.kind.rfind("Directory", 0) == 0 && applies_in(s, x) && engine_on(s.conf)) maybe_on = true;
        // a scope whose values an inner scope that turns the engine on inherits (server-wide defaults)
        for (const Scope& s : v.scopes) {
            if (&s == &x || !engine_on(s.conf) || maybe_on) continue;
            const auto& chain = chains.at(&s);
            if (std::find(chain.begin(), chain.end(), &x) != chain.end()) maybe_on = true;
        }
        if (!maybe_on)
            r.findings.push_back({false, name_of(x) + " at " + where(x.section ? x.section : x.lines.front()) +
                                             " sets CORS directives, but neither it nor a scope around it turns "
                                             "CORSEngine On: they do nothing (unless an .htaccess file turns it on)"});
    }
    if (engine_on(r.merged) && sets(x, "CORSEngine") && !policy.origins && !policy.patterns && r.maps.empty()) {
        bool inner_allows = false;  // a section inside it lists the origins
        for (const Scope& s : v.scopes) {
            if (&s == &x) continue;
            const auto& chain = chains.at(&s);
            if (std::find(chain.begin(), chain.end(), &x) != chain.end() &&
                (sets(s, "CORSAllowOrigin") || sets(s, "CORSAllowOriginMatch") || sets(s, "CORSAllowOriginMap")))
                inner_allows = true;
        }
        if (!inner_allows)
            r.findings.push_back({false, name_of(x) + " at " + where(x.section ? x.section : x.lines.front()) +
                                             " turns CORSEngine On with no CORSAllowOrigin, CORSAllowOriginMatch or "
                                             "CORSAllowOriginMap: every cross-origin request there is refused"});
    }
    (void)main_server;
    return r;
}

std::vector<Checked> check_all(apr_pool_t* p, const server_rec* main_server) {
    std::vector<Checked> all;
    if (!g_view) return all;
    std::set<std::string> seen;  // a warning about an outer scope's line is told once, there
    const Chains chains = chains_of(*g_view);
    for (const Scope& x : g_view->scopes) {
        Checked c = check_one(p, *g_view, chains, x, main_server);
        std::vector<Finding> kept;
        for (Finding& f : c.findings)
            if (seen.insert(f.text.substr(0, f.text.find(" ["))).second) kept.push_back(std::move(f));
        c.findings = std::move(kept);
        all.push_back(std::move(c));
    }
    return all;
}

// Prints under `apachectl -t` as httpd read the configuration: httpd's own logging would
// double every backslash of a pattern (it escapes what it logs).
void print_stderr(const char* level, const char* logno, const std::string& text) {
    std::fprintf(stderr, "[cors:%s] %s%s\n", level, logno, text.c_str());
}

// The maps defined in the configuration: name -> "type:source (file:line)".
std::map<std::string, std::string> map_definitions(apr_pool_t* p) {
    std::map<std::string, std::string> maps;
    std::vector<const ap_directive_t*> stack;
    for (const ap_directive_t* d = ap_conftree; d; d = d->next) stack.push_back(d);
    std::size_t guard = 0;
    while (!stack.empty() && ++guard < 1000000) {
        const ap_directive_t* d = stack.back();
        stack.pop_back();
        if (!strcasecmp(d->directive, "CORSOriginMap")) {
            const std::vector<std::string> w = words(p, d);
            if (w.size() == 2) maps[w[0]] = w[1] + "  " + where(d);
        }
        for (const ap_directive_t* c = d->first_child; c; c = c->next) stack.push_back(c);
    }
    return maps;
}

}  // namespace

void note_directive(cmd_parms* cmd, DirConfig* c) {
    if (!g_view || !g_view->open || !cmd->directive) return;
    for (Scope& s : g_view->scopes)
        if (s.conf == c) {
            // a list directive calls its handler once per argument: one line
            if (s.lines.back() != cmd->directive)
                s.lines.push_back(cmd->directive);
            return;
        }
    Scope s;
    s.conf = c;
    s.section = section_of(cmd->directive);
    s.server = cmd->server;
    for (const ap_directive_t* p = s.section; p; p = p->parent)
        if (!strcasecmp(p->directive, "<VirtualHost")) s.vhost = p;
    if (!s.section) {
        s.kind = "server";
    } else if (s.section == s.vhost) {
        s.kind = "VirtualHost";
        s.path = argument_of(s.section);
    } else {
        s.kind = std::string(s.section->directive).substr(1);
        s.path = argument_of(s.section);
        s.regex = lower(s.kind).find("match") != std::string::npos || s.path.rfind("~", 0) == 0;
        s.parent = section_of(s.section);
        if (s.parent == s.vhost) s.parent = nullptr;
    }
    s.lines.push_back(cmd->directive);
    g_view->scopes.push_back(std::move(s));
}

extern "C" const char* set_strict(cmd_parms* cmd, void*, int on) {
    return guarded(cmd, [&]() -> const char* {
        if (const char* error = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) return error;
        if (g_view) g_view->strict.emplace_back(cmd->server, on != 0);
        return nullptr;
    });
}

void view_pre_config(apr_pool_t* pconf) {
    g_view = pool_owned<View>(pconf);
    g_view->open = true;
}

int view_check(apr_pool_t* ptemp, server_rec* s) {
    if (!g_view) return OK;
    g_view->open = false;  // what follows (.htaccess files) is read per request
    const bool test = ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST;
    int failed = 0;
    for (const Checked& c : check_all(ptemp, s)) {
        const bool strict = strict_for(*g_view, *c.scope, s);
        for (const Finding& f : c.findings) {
            const bool error = f.error || strict;
            if (error) {
                ++failed;
                const std::string text = f.text + (f.error ? "" : " (an error under CORSStrict On)");
                if (test) print_stderr("error", CORS_LOGNO(00402), text);
                else ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, CORS_LOGNO(00402) "%s", text.c_str());
            } else if (test) {
                print_stderr("warn", CORS_LOGNO(00401), f.text);
            }
        }
    }
    if (failed) {
        if (test) std::fprintf(stderr, "[cors:error] " CORS_LOGNO(00403) "%d CORS configuration error(s)\n", failed);
        else ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, CORS_LOGNO(00403) "%d CORS configuration error(s)", failed);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void view_log(server_rec* s) {
    if (!g_view) return;
    apr_pool_t* p = nullptr;
    apr_pool_create(&p, nullptr);
    for (const Checked& c : check_all(p, s)) {
        for (const Finding& f : c.findings)
            if (!f.error) ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CORS_LOGNO(00401) "%s", f.text.c_str());
        if (engine_on(c.merged) && sets(*c.scope, "CORSEngine")) {
            std::string maps;
            for (const std::string& m : c.maps) maps += (maps.empty() ? "" : ", ") + m;
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, CORS_LOGNO(00404) "CORS enabled at %s: %s; maps: %s",
                         where(c.scope->section ? c.scope->section : c.scope->lines.front()).c_str(),
                         summary_of(c.merged).c_str(), maps.empty() ? "none" : maps.c_str());
        }
    }
    apr_pool_destroy(p);
}

void view_dump(apr_pool_t* pconf, server_rec* s) {
    if (!g_view || !ap_exists_config_define("DUMP_CORS")) return;
    apr_pool_t* p = nullptr;
    apr_pool_create(&p, pconf);
    const std::vector<Checked> all = check_all(p, s);
    const std::map<std::string, std::string> maps = map_definitions(p);
    std::string out;
    auto row = [&](const std::string& label, const std::string& text, const std::string& place) {
        std::string line = "    " + label;
        line.resize(std::max<std::size_t>(line.size() + 1, 14), ' ');
        line += text;
        if (!place.empty()) {
            line.resize(std::max<std::size_t>(line.size() + 2, 64), ' ');
            line += place;
        }
        out += line + "\n";
    };
    out += "CORS policy of the main configuration (mod_cors, apachectl -t -D DUMP_CORS)\n";
    out += "  .htaccess files are read per request and are not included here.\n";
    out += "  Inherited: from the server, its virtual host and the sections around a scope by path;\n";
    out += "  a <Directory> also applies under a <Location> whose files it holds.\n";
    std::vector<const ap_directive_t*> hosts{nullptr};
    for (const Checked& c : all)
        if (std::find(hosts.begin(), hosts.end(), c.scope->vhost) == hosts.end()) hosts.push_back(c.scope->vhost);
    for (const ap_directive_t* host : hosts) {
        bool title = false;
        for (const Checked& c : all) {
            const Scope& x = *c.scope;
            if (x.vhost != host) continue;
            if (!title) {
                out += "\n" + vhost_title(x) + "\n";
                title = true;
            }
            out += "  " + name_of(x);
            const std::string at = where(x.section ? x.section : x.lines.front());
            out.append(out.size() - out.rfind('\n') - 1 < 62 ? 62 - (out.size() - out.rfind('\n') - 1) : 2, ' ');
            out += at + "\n";
            bool first = true;
            for (const ap_directive_t* d : x.lines) {
                row(first ? "sets" : "", line_text(d), where(d));
                first = false;
            }
            first = true;
            for (const auto& [name, src] : c.from) {
                if (src.scope == &x) continue;
                for (const ap_directive_t* d : src.lines) {
                    row(first ? "inherits" : "", line_text(d), where(d) + "  " + name_of(*src.scope));
                    first = false;
                }
            }
            if (first) row("inherits", "nothing", "");
            first = true;
            for (const std::string& m : c.maps) {
                auto it = maps.find(m);
                row(first ? "maps" : "", m + " = " + (it == maps.end() ? std::string("(not defined)") : it->second), "");
                first = false;
            }
            row("policy", std::string(engine_on(c.merged) ? "engine on; " : "engine OFF; ") + summary_of(c.merged), "");
            const bool strict = strict_for(*g_view, x, s);
            for (const Finding& f : c.findings) row(f.error || strict ? "ERROR" : "warning", f.text, "");
        }
    }
    if (all.empty()) out += "\n  (no scope of the main configuration has a CORS directive)\n";
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
    apr_pool_destroy(p);
}

}  // namespace cors_glue

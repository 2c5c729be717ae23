// libFuzzer target: the whole cors::decide over a fixed set of policies built once.
//
// Input: lines separated by '\n' (a missing line is a missing header):
//   0 method   1 Origin   2 Host   3 Access-Control-Request-Method
//   4 Access-Control-Request-Headers   5 Access-Control-Request-Private-Network
//   6 flags: byte 0 bit 0 = https connection, bits 1-2 = extra Origin lines
// Every field is copied into a heap block of its exact size, so that ASan sees any
// read past a header value. Each input is decided under every policy; the
// properties below abort() when violated.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "decision.hpp"
#include "fuzz_check.hpp"

using fuzz::show;

namespace {

struct NamedPolicy {
    const char* name;
    cors::Policy policy;
    std::vector<std::string> exact;   // for the reference check of exact-only policies
};

// Owns the configuration objects the policies point to (built once, never freed).
struct Policies {
    std::vector<std::unique_ptr<cors::OriginRules>> origins;
    std::vector<std::unique_ptr<cors::PatternList>> patterns;
    std::vector<std::unique_ptr<cors::NameList>> names;
    std::vector<NamedPolicy> all;

    const cors::OriginRules* rules(std::initializer_list<const char*> specs) {
        origins.push_back(std::make_unique<cors::OriginRules>());
        for (const char* s : specs) {
            std::string e = origins.back()->add(s);
            if (!e.empty()) { std::fprintf(stderr, "bad fuzz policy %s: %s\n", s, e.c_str()); std::abort(); }
        }
        return origins.back().get();
    }
    const cors::PatternList* pats(std::initializer_list<const char*> specs) {
        patterns.push_back(std::make_unique<cors::PatternList>());
        for (const char* s : specs) {
            std::string e = patterns.back()->add(s);
            if (!e.empty()) { std::fprintf(stderr, "bad fuzz pattern %s: %s\n", s, e.c_str()); std::abort(); }
        }
        return patterns.back().get();
    }
    const cors::NameList* list(cors::NameList::Kind kind, std::initializer_list<const char*> items) {
        names.push_back(std::make_unique<cors::NameList>(kind));
        for (const char* s : items) {
            std::string e = names.back()->add(s);
            if (!e.empty()) { std::fprintf(stderr, "bad fuzz list %s: %s\n", s, e.c_str()); std::abort(); }
        }
        return names.back().get();
    }
    const cors::NameList* methods(std::initializer_list<const char*> i) { return list(cors::NameList::Kind::Method, i); }
    const cors::NameList* headers(std::initializer_list<const char*> i) { return list(cors::NameList::Kind::Header, i); }

    Policies() {
        using cors::Policy;
        {   // exact origins, lists, max-age
            Policy p;
            p.origins = rules({"https://app.example.com", "http://localhost:3000", "HTTPS://Default.Example:443",
                               "https://xn--bcher-kva.example", "http://[::1]:8080"});
            p.methods = methods({"GET", "POST", "PUT", "DELETE"});
            p.allow_headers = headers({"X-Custom-Header", "Content-Type"});
            p.expose_headers = headers({"X-Total-Count", "X-Request-Id"});
            p.max_age = 600;
            all.push_back({"exact", p, {"https://app.example.com", "http://localhost:3000", "https://default.example",
                                        "https://xn--bcher-kva.example", "http://[::1]:8080"}});
        }
        {   // subdomain and port wildcards
            Policy p;
            p.origins = rules({"https://*.example.com", "http://dev.example:*"});
            p.max_age = 0;
            all.push_back({"wildcard", p, {}});
        }
        {   // * without credentials, methods and headers *
            Policy p;
            p.origins = rules({"*"});
            p.methods = methods({"*"});
            p.allow_headers = headers({"*"});
            p.expose_headers = headers({"*"});
            all.push_back({"star", p, {}});
        }
        {   // * with Authorization named, private network
            Policy p;
            p.origins = rules({"*"});
            p.allow_headers = headers({"*", "Authorization"});
            p.private_network = true;
            all.push_back({"star-authorization", p, {}});
        }
        {   // credentials with a list, headers and methods *
            Policy p;
            p.origins = rules({"https://app.example.com", "https://*.partner.example"});
            p.credentials = true;
            p.methods = methods({"*"});
            p.allow_headers = headers({"*"});
            p.expose_headers = headers({"X-Total-Count"});
            p.max_age = 86400;
            all.push_back({"credentials", p, {}});
        }
        {   // "*" met credentials through merging: * matches nothing
            Policy p;
            p.origins = rules({"*", "https://app.example.com"});
            p.credentials = true;
            p.methods = methods({"*", "PATCH"});
            p.allow_headers = headers({"*", "Authorization"});
            all.push_back({"credentials-star", p, {}});
        }
        {   // PHP patterns, a catastrophic one included, with credentials
            Policy p;
            p.patterns = pats({"@\\.partner\\.domain\\.com$@", "#^https://(www|api)\\.partner\\.example$#i",
                               "~^https://tools \\. example \\. org$~x", "{^https://brace\\.example$}",
                               "/^(https?:\\/\\/)?(a+)+\\.partner\\.example$/",
                               "^https://[a-z0-9-]+\\.plain\\.example$", "/^https:\\/\\/\\w+\\.unicode\\.example$/u"});
            p.credentials = true;
            p.allow_headers = headers({"X-A", "Content-Type"});
            p.methods = methods({"PUT"});
            all.push_back({"patterns", p, {}});
        }
        {   // patterns that match anything: invalid origins must still be refused
            Policy p;
            p.patterns = pats({"(?s).*", "/.*/s"});
            p.reject = false;
            p.preflight = cors::PreflightMode::Pass;
            p.allow_headers = headers({"*"});
            all.push_back({"match-all", p, {}});
        }
        {   // null, private network, report only
            Policy p;
            p.origins = rules({"null", "https://app.example.com"});
            p.private_network = true;
            p.report_only = true;
            p.credentials = true;
            all.push_back({"null", p, {}});
        }
        {   // enabled, nothing allowed
            all.push_back({"empty", Policy{}, {}});
        }
    }
};

const Policies& policies() {
    static const Policies* p = new Policies();
    return *p;
}

// One header value in a heap block of exactly its size.
struct Field {
    std::unique_ptr<char[]> bytes;
    std::size_t size = 0;
    bool present = false;
    std::string_view view() const { return {bytes.get(), size}; }
};

bool is_star_element(std::string_view list) {
    bool star = false;
    cors::for_each_list_element(list, [&](std::string_view e) {
        star = star || e == "*";
        return !star;
    });
    return star;
}

bool contains_ci(std::string_view list, std::string_view name) {
    bool found = false;
    cors::for_each_list_element(list, [&](std::string_view e) {
        found = found || cors::iequals(e, name);
        return !found;
    });
    return found;
}

void check(const NamedPolicy& np, const cors::Request& req, const cors::Decision& d) {
    const cors::Policy& p = np.policy;
    const char* pn = np.name;
    const std::string_view emitted[] = {d.allow_origin, d.allow_credentials, d.expose_headers, d.allow_methods,
                                        d.allow_headers, d.max_age, d.allow_private_network,
                                        cors::vary_value(d.vary)};
    for (std::string_view v : emitted)
        FUZZ_CHECK(!fuzz::has_crlfnul(v), "[%s] CR/LF/NUL in emitted value '%s'", pn, show(v));

    // An invalid origin is never allowed, whatever the patterns say.
    cors::Origin origin;
    const bool origin_ok = req.has_origin && req.origin_count <= 1 &&
                           cors::parse_origin(req.origin, origin) == cors::OriginError::None;
    if (req.has_origin && !origin_ok) {
        FUZZ_CHECK(!d.allowed && !d.origin_valid, "[%s] invalid origin '%s' (%d lines) allowed", pn,
                   show(req.origin), req.origin_count);
    }
    if (!req.has_origin) FUZZ_CHECK(d.kind == cors::RequestKind::None && d.allowed, "[%s] no Origin", pn);

    // A refusal carries no Access-Control-Allow-* header at all.
    if (!d.allowed) {
        FUZZ_CHECK(d.allow_origin.empty() && d.allow_credentials.empty() && d.allow_methods.empty() &&
                       d.allow_headers.empty() && d.max_age.empty() && d.allow_private_network.empty() &&
                       d.expose_headers.empty(),
                   "[%s] refused origin '%s' (%s) gets CORS headers", pn, show(req.origin), cors::to_string(d.reason));
        FUZZ_CHECK(d.reason != cors::Reason::None, "[%s] refusal without a reason", pn);
        FUZZ_CHECK(d.action == cors::Action::Reject || (d.action == cors::Action::Continue && !p.reject &&
                                                        d.kind != cors::RequestKind::Preflight),
                   "[%s] refusal not rejected", pn);
    }

    // Allow-Origin: the request's Origin byte for byte, or "*" for CORSAllowOrigin * without credentials.
    if (!d.allow_origin.empty()) {
        if (d.allow_origin == "*") {
            FUZZ_CHECK(p.static_any() && !p.credentials, "[%s] '*' emitted outside static any", pn);
        } else {
            FUZZ_CHECK(req.has_origin && d.allow_origin == req.origin, "[%s] Allow-Origin '%s' is not the Origin",
                       pn, show(d.allow_origin));
            FUZZ_CHECK(fuzz::within(d.allow_origin, req.origin), "[%s] Allow-Origin is not the request's bytes", pn);
        }
    }
    if (d.allowed && (d.kind == cors::RequestKind::Actual || d.kind == cors::RequestKind::Preflight)) {
        FUZZ_CHECK(origin_ok, "[%s] allowed an origin that does not parse: '%s'", pn, show(req.origin));
        FUZZ_CHECK(!d.allow_origin.empty(), "[%s] allowed without Allow-Origin", pn);
        if (origin.opaque) FUZZ_CHECK(p.origins && p.origins->null(), "[%s] null allowed without the null rule", pn);
    }

    // With credentials no "*" is ever emitted.
    if (p.credentials) {
        FUZZ_CHECK(d.allow_origin != "*", "[%s] Allow-Origin * with credentials", pn);
        FUZZ_CHECK(!is_star_element(d.allow_headers), "[%s] Allow-Headers '%s' holds * with credentials "
                   "(request headers '%s')", pn, show(d.allow_headers), show(req.acrh));
        FUZZ_CHECK(!is_star_element(d.allow_methods), "[%s] Allow-Methods '%s' with credentials", pn,
                   show(d.allow_methods));
        FUZZ_CHECK(!is_star_element(d.expose_headers) || (p.expose_headers && p.expose_headers->any()),
                   "[%s] Expose-Headers * not configured", pn);
    }
    if (!d.allow_credentials.empty())
        FUZZ_CHECK(p.credentials && d.allowed && d.allow_credentials == "true", "[%s] Allow-Credentials", pn);
    else if (d.allowed && p.credentials && d.kind != cors::RequestKind::None &&
             d.kind != cors::RequestKind::SameOrigin)
        FUZZ_CHECK(false, "[%s] allowed with credentials on but no Allow-Credentials", pn);

    // Preflight-only headers.
    if (!d.allow_methods.empty() || !d.allow_headers.empty() || !d.max_age.empty() ||
        !d.allow_private_network.empty())
        FUZZ_CHECK(d.kind == cors::RequestKind::Preflight && d.allowed, "[%s] preflight headers on a %s request",
                   pn, cors::to_string(d.kind));
    if (!d.allow_methods.empty()) FUZZ_CHECK(d.allow_methods == req.acrm, "[%s] Allow-Methods is not ACRM", pn);
    if (!d.allow_headers.empty()) {
        FUZZ_CHECK(d.allow_headers.size() <= cors::kMaxAllowHeadersLength, "[%s] Allow-Headers too long", pn);
        cors::for_each_list_element(d.allow_headers, [&](std::string_view e) {
            FUZZ_CHECK(cors::is_token(e), "[%s] non-token '%s' echoed", pn, show(e));
            for (char c : e) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "[%s] '%s' not lower-cased", pn, show(e));
            FUZZ_CHECK(contains_ci(req.acrh, e), "[%s] '%s' echoed but not requested", pn, show(e));
            FUZZ_CHECK(p.allow_headers && (p.allow_headers->any() || p.allow_headers->contains(e)),
                       "[%s] '%s' echoed but not allowed", pn, show(e));
            if (cors::iequals(e, "authorization"))
                FUZZ_CHECK(p.allow_headers->contains(e), "[%s] Authorization allowed by * alone", pn);
            return true;
        });
    }
    if (!d.allow_private_network.empty())
        FUZZ_CHECK(p.private_network && req.acrpn == "true", "[%s] Allow-Private-Network not asked", pn);
    if (d.kind == cors::RequestKind::Preflight && d.allowed) {
        FUZZ_CHECK(d.vary == (cors::kVaryOrigin | cors::kVaryRequestMethod | cors::kVaryRequestHeaders),
                   "[%s] preflight Vary", pn);
        FUZZ_CHECK(d.action == (p.preflight == cors::PreflightMode::Handle ? cors::Action::AnswerPreflight
                                                                           : cors::Action::Continue),
                   "[%s] preflight action", pn);
    }
    if (d.allowed && !p.static_any()) FUZZ_CHECK(d.vary & cors::kVaryOrigin, "[%s] no Vary: Origin", pn);

    // Reference checks for the exact and wildcard policies.
    if (d.allowed && d.kind == cors::RequestKind::Actual && !np.exact.empty()) {
        bool listed = false;
        for (const std::string& e : np.exact) {
            cors::Origin o;
            cors::parse_origin(e, o);
            listed = listed || cors::same_origin(o, origin);
        }
        FUZZ_CHECK(listed, "[%s] '%s' allowed but not listed", pn, show(req.origin));
    }
    if (d.allowed && d.kind == cors::RequestKind::Actual && std::string_view(pn) == "wildcard") {
        const std::string_view h = origin.host;
        const bool sub = cors::iequals(origin.scheme, "https") && origin.port == 443 && h.size() > 12 &&
                         cors::iequals(h.substr(h.size() - 12), ".example.com");
        const bool dev = cors::iequals(origin.scheme, "http") && cors::iequals(h, "dev.example");
        FUZZ_CHECK(sub || dev, "[wildcard] '%s' allowed", show(req.origin));
    }
}

bool same(const cors::Decision& a, const cors::Decision& b) {
    return a.kind == b.kind && a.allowed == b.allowed && a.action == b.action && a.allow_origin == b.allow_origin &&
           a.allow_headers == b.allow_headers && a.allow_methods == b.allow_methods && a.vary == b.vary &&
           a.max_age == b.max_age && a.allow_credentials == b.allow_credentials;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Policies& all = policies();
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    Field fields[7];
    std::size_t pos = 0;
    for (int i = 0; i < 7 && pos <= input.size(); ++i) {
        std::size_t nl = input.find('\n', pos);
        if (nl == std::string_view::npos) nl = input.size();
        Field& f = fields[i];
        f.present = true;
        f.size = nl - pos;
        f.bytes.reset(new char[f.size ? f.size : 1]);
        if (f.size) std::memcpy(f.bytes.get(), input.data() + pos, f.size);
        pos = nl + 1;
    }
    const unsigned flags = fields[6].present && fields[6].size ? static_cast<unsigned char>(fields[6].bytes[0]) : 0;

    cors::Request req;
    req.method = fields[0].present ? fields[0].view() : std::string_view("GET");
    req.has_origin = fields[1].present;
    req.origin = fields[1].view();
    req.origin_count = req.has_origin ? 1 + static_cast<int>((flags >> 1) & 3u) : 0;
    req.scheme = (flags & 1u) ? "https" : "http";
    req.host = fields[2].present ? fields[2].view() : std::string_view("127.0.0.1:8080");
    req.has_acrm = fields[3].present;
    req.acrm = fields[3].view();
    req.acrh = fields[4].view();
    req.acrpn = fields[5].view();

    for (const NamedPolicy& np : all.all) {
        cors::Decision d;
        cors::decide(np.policy, req, d);
        check(np, req, d);
        cors::Decision again;
        cors::decide(np.policy, req, again);
        FUZZ_CHECK(same(d, again), "[%s] decision not deterministic", np.name);
    }
    return 0;
}

#include "counterexample.hpp"

#include <libpsl.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <memory>
#include <set>

#include "origin.hpp"

namespace cors {

const char* to_string(Flaw f) noexcept {
    switch (f) {
        case Flaw::AnyOrigin: return "any origin";
        case Flaw::UnescapedDot: return "unescaped dot";
        case Flaw::NoStartBoundary: return "no start boundary";
        case Flaw::NoEndAnchor: return "no end anchor";
        case Flaw::LookAlike: return "look-alike domain";
        case Flaw::InsecureScheme: return "http:// allowed";
        case Flaw::HttpCredentials: return "http:// with credentials";
        case Flaw::NullOrigin: return "null allowed";
        case Flaw::Glob: return "glob written as a pattern";
    }
    return "?";
}

namespace {

// ------------------------------------------------------------------ libpsl

struct Psl {
    psl_ctx_t* latest = psl_latest(nullptr);
    const psl_ctx_t* ctx = latest ? latest : psl_builtin();
    ~Psl() { psl_free(latest); }
    Psl() = default;
    Psl(const Psl&) = delete;
    Psl& operator=(const Psl&) = delete;

    std::string registrable(std::string_view host) const {
        std::string h(host);
        std::transform(h.begin(), h.end(), h.begin(), [](char c) { return to_lower_ascii(c); });
        if (!h.empty() && h.back() == '.') h.pop_back();
        if (h.empty() || h.front() == '[' || h.find('.') == std::string::npos) return h;
        if (std::all_of(h.begin(), h.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; })) return h;
        if (!ctx) return h;
        const char* r = psl_registrable_domain(ctx, h.c_str());
        return r ? std::string(r) : h;
    }
    // True when the last label of `host` is a suffix someone can register under (the
    // list's explicit rules, not its implicit "*"): "apixpartner.com" yes, "a.partnerxcom" no.
    bool registrable_under_real_suffix(std::string_view host) const {
        const std::size_t dot = host.rfind('.');
        if (dot == std::string_view::npos || !ctx) return false;
        std::string tld(host.substr(dot + 1));
        return psl_is_public_suffix2(ctx, tld.c_str(), PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
    }
};

// ---------------------------------------------------------- pattern skeleton

// Strings that a regular expression's literal text spells, with every class and wildcard
// replaced by one representative character (".+" by "x", ".*" by nothing, "[a-z0-9-]+" by
// "a"), each alternative and optional part tried in turn. Linear in the pattern; at most
// kMaxSkeletons results.
constexpr std::size_t kMaxSkeletons = 12;
constexpr std::size_t kMaxSkeletonLength = 300;

using Options = std::vector<std::string>;

Options product(const Options& a, const Options& b) {
    Options out;
    for (const auto& x : a)
        for (const auto& y : b) {
            if (out.size() >= kMaxSkeletons) return out;
            std::string s = x + y;
            if (s.size() > kMaxSkeletonLength) s.resize(kMaxSkeletonLength);
            out.push_back(std::move(s));
        }
    return out;
}

void add_unique(Options& to, const Options& from) {
    for (const auto& s : from)
        if (to.size() < kMaxSkeletons && std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
}

class Skeleton {
public:
    Skeleton(std::string_view body, bool extended) : s_(body), extended_(extended) {}
    Options run() {
        Options r = alternation();
        return r;
    }

private:
    std::string_view s_;
    bool extended_;
    std::size_t i_ = 0;
    int depth_ = 0;

    bool at_end() const { return i_ >= s_.size(); }

    Options alternation() {
        Options all = sequence();
        while (!at_end() && s_[i_] == '|') {
            ++i_;
            add_unique(all, sequence());
        }
        return all;
    }

    Options sequence() {
        Options acc{""};
        while (!at_end() && s_[i_] != '|' && s_[i_] != ')') {
            Options atom_options = atom();
            atom_options = quantified(atom_options);
            acc = product(acc, atom_options);
        }
        return acc;
    }

    // One atom's strings (before a quantifier).
    Options atom() {
        const char c = s_[i_++];
        switch (c) {
            case '^':
            case '$':
                return {""};
            case '.':
                return {"."};
            case '[':
                return {std::string(1, char_class())};
            case '(':
                return group();
            case '\\':
                return escape();
            case ' ':
            case '\n':
            case '\t':
                if (extended_) return {""};
                return {std::string(1, c)};
            case '#':
                if (extended_) {
                    while (!at_end() && s_[i_] != '\n') ++i_;
                    return {""};
                }
                return {"#"};
            default:
                return {std::string(1, c)};
        }
    }

    Options group() {
        bool skip = false;  // a lookaround or a comment spells nothing
        if (!at_end() && s_[i_] == '?') {
            ++i_;
            if (!at_end() && (s_[i_] == '=' || s_[i_] == '!' || s_[i_] == '#')) skip = true;
            else if (i_ + 1 < s_.size() && s_[i_] == '<' && (s_[i_ + 1] == '=' || s_[i_ + 1] == '!')) skip = true;
            if (!at_end() && (s_[i_] == '<' || s_[i_] == '\'' || s_[i_] == 'P')) {  // a named group
                if (s_[i_] == 'P') ++i_;
                const char close = (!at_end() && s_[i_] == '\'') ? '\'' : '>';
                while (!at_end() && s_[i_] != close) ++i_;
                if (!at_end()) ++i_;
            } else {
                // flags "(?i)" "(?i:" or "(?:"
                while (!at_end() && s_[i_] != ':' && s_[i_] != ')') ++i_;
                if (!at_end() && s_[i_] == ')') {
                    ++i_;
                    return {""};
                }
                if (!at_end()) ++i_;
            }
        }
        if (++depth_ > 50) {  // a hostile nesting: spell nothing more
            i_ = s_.size();
            return {""};
        }
        Options inner = alternation();
        --depth_;
        if (!at_end() && s_[i_] == ')') ++i_;
        if (skip) return {""};
        return inner;
    }

    Options escape() {
        if (at_end()) return {""};
        const char c = s_[i_++];
        switch (c) {
            case 'd': return {"1"};
            case 'w': case 'W': case 'D': case 'S': case 'N': case 'H': case 'V': case 'X': case 'C': case 'R':
                return {"x"};
            case 's': case 'h': case 'v': return {" "};
            case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K': return {""};
            case 'n': case 'r': case 't': case 'f': case 'e': case 'a': return {""};
            case 'Q': {
                const std::size_t end = s_.find("\\E", i_);
                std::string lit(s_.substr(i_, end == std::string_view::npos ? std::string_view::npos : end - i_));
                i_ = end == std::string_view::npos ? s_.size() : end + 2;
                return {lit};
            }
            case 'E': return {""};
            case 'x': case 'o': case 'p': case 'P': case 'g': case 'k': case 'c':
                if (!at_end() && s_[i_] == '{') {
                    while (!at_end() && s_[i_] != '}') ++i_;
                    if (!at_end()) ++i_;
                } else if (c == 'x') {
                    for (int n = 0; n < 2 && !at_end() && std::isxdigit(static_cast<unsigned char>(s_[i_])); ++n) ++i_;
                } else if (!at_end()) {
                    ++i_;
                }
                return {"x"};
            default:
                if (c >= '0' && c <= '9') {
                    while (!at_end() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
                    return {""};
                }
                return {std::string(1, c)};
        }
    }

    // A character class "[...]": one character it allows, a letter where it allows one.
    char char_class() {
        bool negated = false;
        if (!at_end() && s_[i_] == '^') {
            negated = true;
            ++i_;
        }
        std::string members;
        bool first = true;
        while (!at_end() && (s_[i_] != ']' || first)) {
            first = false;
            char c = s_[i_++];
            if (c == '[' && !at_end() && s_[i_] == ':') {  // [:alpha:]
                const std::size_t end = s_.find(":]", i_);
                const std::string_view name = s_.substr(i_ + 1, end == std::string_view::npos ? 0 : end - i_ - 1);
                members += name == "digit" ? "1" : name == "space" ? " " : "x";
                i_ = end == std::string_view::npos ? s_.size() : end + 2;
                continue;
            }
            if (c == '\\' && !at_end()) {
                const char e = s_[i_++];
                members += e == 'd' ? '1' : e == 'w' ? 'x' : e == 's' ? ' ' : e;
                continue;
            }
            if (!at_end() && s_[i_] == '-' && i_ + 1 < s_.size() && s_[i_ + 1] != ']') {
                const char hi = s_[i_ + 1];
                i_ += 2;
                if (c <= 'x' && 'x' >= c && hi >= 'x') members += 'x';
                else if (c <= 'a' && hi >= 'a') members += 'a';
                else members += c;
                continue;
            }
            members += c;
        }
        if (!at_end()) ++i_;  // ']'
        if (negated) {
            for (char c : std::string_view("xyz1")) if (members.find(c) == std::string::npos) return c;
            return 'q';
        }
        for (char c : members)
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return c;
        return members.empty() ? 'x' : members.front();
    }

    // The quantifier after an atom: "?" and "*" add the empty string ("*" first), "+"
    // keeps one, "{n,m}" repeats n times (at most 3).
    Options quantified(const Options& atom) {
        if (at_end()) return atom;
        const char q = s_[i_];
        Options out;
        if (q == '?' || q == '*' || q == '+') {
            ++i_;
            if (q == '?') {
                // "s?" spells the letter, "(www\.)?" nothing first: the shortest real name
                if (atom.size() == 1 && atom.front().size() == 1) { out = atom; add_unique(out, {""}); }
                else { out = {""}; add_unique(out, atom); }
            }
            else if (q == '*') { out = {""}; }
            else if (atom.size() == 1 && atom.front() == ".") { out = {"x"}; }  // ".+": one label character
            else { out = atom; }
        } else if (q == '{') {
            std::size_t j = i_ + 1, n = 0;
            bool digits = false;
            while (j < s_.size() && s_[j] >= '0' && s_[j] <= '9') { n = n * 10 + (s_[j] - '0'); if (n > 3) n = 3; ++j; digits = true; }
            const std::size_t close = s_.find('}', i_);
            if (!digits || close == std::string_view::npos) return atom;  // a literal "{"
            i_ = close + 1;
            if (n == 0) { out = {""}; add_unique(out, atom); }
            else {
                Options rep{""};
                for (std::size_t k = 0; k < n; ++k) rep = product(rep, atom.size() == 1 && atom.front() == "." ? Options{"x"} : atom);
                out = rep;
            }
        } else {
            return atom;
        }
        if (!at_end() && (s_[i_] == '?' || s_[i_] == '+')) ++i_;  // lazy, possessive
        return out;
    }
};

bool matches(const Pattern& p, const std::string& origin, bool& limited) {
    if (limited) return false;
    switch (p.match(origin)) {
        case MatchResult::Match: return true;
        case MatchResult::LimitExceeded:
        case MatchResult::Error: limited = true; return false;
        case MatchResult::NoMatch: return false;
    }
    return false;
}

struct Parts {
    std::string scheme, host, port;  // port with its ':' or empty
};

bool split_origin(std::string_view text, Parts& out) {
    Origin o;
    if (parse_origin(text, o) != OriginError::None || o.opaque) return false;
    out.scheme = std::string(o.scheme);
    out.host = std::string(o.host);
    std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(), [](char c) { return to_lower_ascii(c); });
    std::transform(out.host.begin(), out.host.end(), out.host.begin(), [](char c) { return to_lower_ascii(c); });
    out.port = o.explicit_port ? ":" + std::to_string(o.port) : std::string();
    return true;
}

bool valid_origin(const std::string& text) {
    Origin o;
    return parse_origin(text, o) == OriginError::None && !o.opaque;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) { return to_lower_ascii(c); });
    return out;
}

// The host of a CORSAllowOrigin argument, wildcards taken out: "partner.com" for
// "https://*.partner.com:*"; empty for "*" and "null".
std::string listed_host(std::string_view spec) {
    const std::size_t sep = spec.find("://");
    if (sep == std::string_view::npos) return std::string();
    std::string_view a = spec.substr(sep + 3);
    if (a.substr(0, 2) == "*.") a.remove_prefix(2);
    if (!a.empty() && a.front() == '[') return lower(a.substr(0, a.find(']') + 1));
    return lower(a.substr(0, a.find(':')));
}

// True when the pattern's text names a scheme: then http:// is what its author wrote.
bool names_a_scheme(std::string_view body) {
    const std::string b = lower(body);
    return b.find("http") != std::string::npos || b.find("ws") != std::string::npos ||
           b.find(":/") != std::string::npos || b.find(":\\/") != std::string::npos;
}

// True when the pattern's first real token is "^" or "\A" (after opening groups).
bool starts_anchored(std::string_view body) {
    std::size_t i = 0;
    while (i < body.size()) {
        if (body[i] == '(') {
            ++i;
            if (i < body.size() && body[i] == '?') {
                while (i < body.size() && body[i] != ':' && body[i] != ')') ++i;
                ++i;
            }
            continue;
        }
        break;
    }
    return body.substr(i, 1) == "^" || body.substr(i, 2) == "\\A";
}

// A "|" outside any group or class.
bool top_level_alternation(std::string_view body) {
    int depth = 0;
    bool in_class = false;
    for (std::size_t i = 0; i < body.size(); ++i) {
        const char c = body[i];
        if (c == '\\') { ++i; continue; }
        if (in_class) { if (c == ']') in_class = false; continue; }
        if (c == '[') in_class = true;
        else if (c == '(') ++depth;
        else if (c == ')') --depth;
        else if (c == '|' && depth == 0) return true;
    }
    return false;
}

}  // namespace

std::string registrable_domain(std::string_view host) { return Psl().registrable(host); }

bool looks_like_glob(std::string_view text) noexcept {
    PhpRegex r;
    std::string_view body = text;
    if (parse_php_regex(text, r).empty()) body = r.body;
    if (!body.empty() && body.front() == '^') body.remove_prefix(1);
    if (!body.empty() && body.front() == '*') return true;
    for (std::size_t i = 0; i + 1 < body.size(); ++i)
        if (body[i] == '/' && body[i + 1] == '*' && (i == 0 || body[i - 1] != '\\')) {
            // "//*." or "/*." : a star where a host name starts
            const std::string_view rest = body.substr(i + 2);
            if (rest.substr(0, 1) == "." || rest.substr(0, 2) == "\\.") return true;
        }
    return false;
}

std::vector<std::string> witnesses(const Pattern& pattern, std::size_t limit) {
    PhpRegex r;
    std::vector<std::string> out;
    if (!parse_php_regex(pattern.source(), r).empty()) return out;
    const bool extended = (r.options & PCRE2_EXTENDED) != 0;
    Options skeletons = Skeleton(r.body, extended).run();
    bool limited = false;
    for (const std::string& s : skeletons) {
        std::vector<std::string> forms;
        const std::string l = lower(s);
        const std::size_t dot_host = l.find("://.");
        if (dot_host != std::string::npos) forms.push_back(std::string(l).insert(dot_host + 3, "x"));
        else if (l.find("://") != std::string::npos) forms.push_back(l);
        else if (l.rfind("//", 0) == 0) forms.push_back("https:" + l);
        else {
            forms.push_back("https://" + l);
            if (!l.empty() && l.front() == '.') forms.push_back("https://x" + l);
            forms.push_back("https://x." + l);
        }
        for (const std::string& f : forms) {
            if (out.size() >= limit) return out;
            if (valid_origin(f) && std::find(out.begin(), out.end(), f) == out.end() && matches(pattern, f, limited)) {
                out.push_back(f);
                break;
            }
        }
        if (limited) break;
    }
    return out;
}

std::vector<Counterexample> counterexamples(const Pattern& pattern, const Intent& intent) {
    std::vector<Counterexample> found;
    PhpRegex regex;
    if (!parse_php_regex(pattern.source(), regex).empty()) return found;
    const std::string_view body = regex.body;
    const Psl psl;
    bool limited = false;
    int budget = 64;  // matches tried at most
    auto allows = [&](const std::string& origin) {
        if (budget-- <= 0) return false;
        return matches(pattern, origin, limited);
    };
    auto has = [&](Flaw f) {
        return std::any_of(found.begin(), found.end(), [f](const Counterexample& c) { return c.flaw == f; });
    };

    if (looks_like_glob(pattern.source()))
        found.push_back({Flaw::Glob, "",
                         "a glob written as a pattern: \"*\" repeats the character before it, so this matches no "
                         "real origin; write CORSAllowOrigin https://*.domain, or [a-z0-9.-]+ in a pattern"});

    // The registrable domains the author named: the pattern's own text and the listed origins.
    const std::vector<std::string> seen = witnesses(pattern);
    std::set<std::string> intended;
    std::vector<Parts> bases;
    for (const std::string& w : seen) {
        Parts p;
        if (split_origin(w, p)) {
            intended.insert(psl.registrable(p.host));
            bases.push_back(p);
        }
    }
    std::vector<std::string> listed_hosts;
    std::set<std::string> seen_hosts;
    for (const std::string& spec : intent.listed) {
        const std::string h = listed_host(spec);
        if (h.empty()) continue;
        if (!seen_hosts.insert(h).second) continue;
        intended.insert(psl.registrable(h));
        if (listed_hosts.size() < 8) listed_hosts.push_back(h);
    }
    auto outside = [&](const std::string& origin) {
        Parts p;
        return split_origin(origin, p) && intended.count(psl.registrable(p.host)) == 0;
    };
    auto report = [&](Flaw f, const std::string& origin, std::string fix) {
        if (!has(f)) found.push_back({f, origin, std::move(fix)});
    };

    // Any origin at all.
    for (const char* stranger : {"https://evil.example"}) {
        if (allows(stranger) && outside(stranger)) {
            report(Flaw::AnyOrigin, stranger, "it allows unrelated sites; list the partner origins instead");
            break;
        }
    }
    const bool any = has(Flaw::AnyOrigin);
    const bool anchored = starts_anchored(body);
    const bool alternatives = top_level_alternation(body);

    for (const Parts& b : bases) {
        if (any || limited) break;
        const std::string scheme = b.scheme + "://";
        // An unescaped dot: each dot of the host made a letter; only where the result
        // is a name someone can register.
        for (std::size_t i = 0; i < b.host.size() && !has(Flaw::UnescapedDot); ++i) {
            if (b.host[i] != '.') continue;
            std::string host = b.host;
            host[i] = 'x';
            const std::string o = scheme + host + b.port;
            if (psl.registrable_under_real_suffix(host) && valid_origin(o) && allows(o) && outside(o))
                report(Flaw::UnescapedDot, o, "escape the dot (\\.)");
        }
        // No start boundary: a longer name that ends like the partner's.
        if (!has(Flaw::NoStartBoundary) && !has(Flaw::UnescapedDot)) {
            const std::string target = b.host.find('.') != std::string::npos && b.host.rfind("x.", 0) == 0
                                           ? b.host.substr(2)
                                           : b.host;
            for (const std::string& o : {scheme + "evil" + target + b.port, scheme + "evil-" + target + b.port}) {
                if (psl.registrable_under_real_suffix(target) && valid_origin(o) && allows(o) && outside(o)) {
                    report(Flaw::NoStartBoundary, o,
                           anchored ? "match whole labels: ([a-z0-9-]+\\.)* or [^./]+\\. instead of .* or .+"
                                    : "anchor the start: ^https://");
                    break;
                }
            }
        }
        // No end anchor: the partner's name followed by the attacker's domain.
        if (!has(Flaw::NoEndAnchor)) {
            for (const std::string& o : {scheme + b.host + ".evil.example" + b.port,
                                         scheme + b.host + b.port + ".evil.example"}) {
                if (valid_origin(o) && allows(o) && outside(o)) {
                    report(Flaw::NoEndAnchor, o,
                           alternatives ? "anchor every alternative: group them, ^(...|...)$" : "anchor the end: add $");
                    break;
                }
            }
        }
        // Another scheme: http:// where the pattern names none.
        const bool loopback = b.host == "localhost" || b.host == "127.0.0.1" || b.host == "[::1]" ||
                              (b.host.size() > 10 && b.host.compare(b.host.size() - 10, 10, ".localhost") == 0);
        if (b.scheme == "https" && !loopback && !has(Flaw::InsecureScheme)) {
            const std::string o = "http://" + b.host + b.port;
            if (allows(o)) {
                if (!names_a_scheme(body))
                    report(Flaw::InsecureScheme, o,
                           "anchor the scheme: start the pattern with ^https:// (a network attacker can pose as any "
                           "http:// origin)");
                else if (intent.credentials)
                    report(Flaw::HttpCredentials, o,
                           "with CORSAllowCredentials On a network attacker can pose as it; allow https:// only");
            }
        } else if (b.scheme == "http" && intent.credentials && !has(Flaw::HttpCredentials)) {
            const std::string o = scheme + b.host + b.port;
            report(Flaw::HttpCredentials, o,
                   "with CORSAllowCredentials On a network attacker can pose as it; allow https:// only");
        }
    }
    // Look-alike registrable domains made of the listed origins' and the pattern's names
    // (jub0bs/cors: https://barfoo.com allowed by https://foo.com and https://bar.com).
    std::vector<std::string> hosts = listed_hosts;
    for (const Parts& b : bases) hosts.push_back(b.host);
    const bool explained = has(Flaw::UnescapedDot) || has(Flaw::NoStartBoundary) || has(Flaw::NoEndAnchor);
    for (std::size_t i = 0; i < hosts.size() && budget > 0 && !any && !explained && !limited && !has(Flaw::LookAlike); ++i)
        for (std::size_t j = 0; j < hosts.size() && !has(Flaw::LookAlike); ++j) {
            if (hosts[i] == hosts[j]) continue;
            const std::string label = hosts[j].substr(0, hosts[j].find('.'));
            for (const std::string& o : {"https://" + label + hosts[i], "https://" + hosts[i] + "." + hosts[j]}) {
                if (valid_origin(o) && allows(o) && outside(o)) {
                    report(Flaw::LookAlike, o, "anchor both ends and escape every dot");
                    break;
                }
            }
        }
    if (allows("null") || (!limited && pattern.match("null") == MatchResult::Match))
        report(Flaw::NullOrigin, "null",
               "sandboxed documents, data: URLs and file:// pages of any site send Origin: null; anchor the "
               "pattern on https://");
    std::stable_sort(found.begin(), found.end(),
                     [](const Counterexample& a, const Counterexample& b) { return a.flaw < b.flaw; });
    return found;
}

std::vector<Counterexample> counterexamples_of_origin(std::string_view spec, const Intent& intent) {
    std::vector<Counterexample> found;
    if (spec == "null") {
        found.push_back({Flaw::NullOrigin, "null",
                         "sandboxed documents, data: URLs and file:// pages of any site send Origin: null; "
                         "list the partner origins instead"});
        return found;
    }
    const std::string l = lower(spec);
    if (intent.credentials && (l.rfind("http://", 0) == 0 || l.rfind("ws://", 0) == 0)) {
        std::string origin(l);
        const std::size_t star = origin.find("*.");
        if (star != std::string::npos) origin.replace(star, 1, "x");
        if (origin.size() >= 2 && origin.compare(origin.size() - 2, 2, ":*") == 0) origin.resize(origin.size() - 2);
        found.push_back({Flaw::HttpCredentials, origin,
                         "with CORSAllowCredentials On a network attacker can pose as it; allow https:// only"});
    }
    return found;
}

std::string describe(std::string_view directive, std::string_view argument, const Counterexample& c) {
    std::string quoted = directive == "CORSAllowOriginMatch" ? "\"" + std::string(argument) + "\""
                                                             : std::string(argument);
    if (c.flaw == Flaw::Glob) return std::string(directive) + " " + quoted + " is " + c.fix;
    std::string s = std::string(directive) + " " + quoted + " allows " + c.origin;
    if (c.flaw == Flaw::HttpCredentials && directive != "CORSAllowOriginMatch")
        s = std::string(directive) + " " + quoted + " allows " + c.origin + " with credentials";
    return s + " (" + to_string(c.flaw) + "): " + c.fix;
}

}  // namespace cors

// What a policy really allows: attacker-controllable origins tried on every
// CORSAllowOriginMatch pattern and every CORSAllowOrigin argument at configuration time.
// Plain C++17 (PCRE2 through pattern.hpp, libpsl); no httpd header.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pattern.hpp"

namespace cors {

// The classes of flaws, each with the origins tried for it (docs/security.md).
enum class Flaw {
    AnyOrigin,        // the pattern allows an unrelated site: https://evil.example
    UnescapedDot,     // ^https://api.partner.com$ allows https://apixpartner.com
    NoStartBoundary,  // partner\.com$ allows https://evilpartner.com
    NoEndAnchor,      // ^https://partner\.com allows https://partner.com.evil.example
    LookAlike,        // a registrable domain made of the listed ones: https://barfoo.com
    InsecureScheme,   // a pattern with no scheme allows http://x.partner.com
    HttpCredentials,  // an http:// origin allowed with credentials
    NullOrigin,       // the opaque origin null allowed
    Glob,             // "^https://*.partner.com$": a glob written as a pattern
};
const char* to_string(Flaw f) noexcept;  // "unescaped dot", ...

struct Counterexample {
    Flaw flaw;
    std::string origin;  // a concrete origin that is allowed ("null" for the opaque origin)
    std::string fix;     // what to change, one short sentence
};

// What the rest of the scope says about the author's intent.
struct Intent {
    std::vector<std::string> listed;  // CORSAllowOrigin arguments as written (wildcards included)
    bool credentials = false;
};

// The counterexamples of one compiled pattern, at most one per flaw, in the order of Flaw.
// An origin counts when the pattern allows it and the author evidently did not mean it:
// its registrable domain (libpsl) is none of those the pattern's own text and the listed
// origins name, or it is http:// where the pattern names no scheme, or it is null.
// Bounded: a few dozen matches, each under the pattern's match limits, and none after
// the first that hits a limit.
std::vector<Counterexample> counterexamples(const Pattern& pattern, const Intent& intent);

// The counterexamples of one CORSAllowOrigin argument: null; http:// with credentials.
std::vector<Counterexample> counterexamples_of_origin(std::string_view spec, const Intent& intent);

// The warning text: `CORSAllowOriginMatch "<pattern>" allows <origin>: <fix>`.
std::string describe(std::string_view directive, std::string_view argument, const Counterexample& c);

// A glob written as a pattern ("^https://*.partner.com$", "https://*.partner.com"):
// `*` right after "/" or at the start repeats the character before it.
bool looks_like_glob(std::string_view pattern_text) noexcept;

// The registrable domain of `host` by the Public Suffix List ("partner.co.uk" for
// "api.partner.co.uk"); the host itself for an IP literal, a single label or a public suffix.
std::string registrable_domain(std::string_view host);

// Witness origins the pattern's literal text describes and that the pattern allows
// ("https://x.partner.domain.com" for "@\.partner\.domain\.com$@"); at most `limit`.
std::vector<std::string> witnesses(const Pattern& pattern, std::size_t limit = 4);

}  // namespace cors

// What a policy really allows (counterexample.hpp): a table of real-world origin patterns,
// each with the counterexamples the module must find, or none. Where a row comes from is
// in its first column; a row marked "shape of" reproduces the form a report describes
// rather than a verbatim line.
#include <boost/test/unit_test.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "counterexample.hpp"
#include "pattern.hpp"

namespace bdata = boost::unit_test::data;
using cors::Flaw;

namespace cors {
inline std::ostream& operator<<(std::ostream& os, Flaw f) { return os << to_string(f); }
}  // namespace cors

namespace {

struct Expected {
    Flaw flaw;
    const char* origin;  // nullptr: any origin (a glob has none)
};

struct Row {
    const char* source;
    const char* pattern;
    std::vector<std::string> listed;  // CORSAllowOrigin of the same scope
    bool credentials;
    std::vector<Expected> expected;   // exactly these, in this order
};
std::ostream& operator<<(std::ostream& os, const Row& r) { return os << r.pattern; }

const char* const kSeed = "seed: cors-preflight-question.txt (Stack Overflow, PHP preg_match filter)";
const char* const kContract = "contract.md, Configuration checks";
const char* const kFlask400 = "corydolphin/flask-cors PR #400 / PR #399 (test regexes bypassable)";
const char* const kFlask183 = "corydolphin/flask-cors issue #183";
const char* const kSanic = "ashleysommer/sanic-cors PR #68 (CVE-2026-37737, re.match)";
const char* const kClusterfuzz = "google/clusterfuzz PR #5303 (whitelisted_cors_urls example)";
const char* const kChromium = "shape of GoogleChrome/chromium-dashboard PR #6590 (trailing $ missing)";
const char* const kPortSwigger = "PortSwigger Web Security Academy, CORS: errors parsing Origin headers";
const char* const kPortSwiggerNull = "PortSwigger Web Security Academy, CORS: whitelisted null origin";
const char* const kJub0bs = "jub0bs/cors (https://barfoo.com allowed by https://foo.com and https://bar.com)";
const char* const kDjango = "adamchainz/django-cors-headers docs, CORS_ALLOWED_ORIGIN_REGEXES";
const char* const kSO56153947 = "Stack Overflow 56153947 (SetEnvIf Origin recipe)";
const char* const kFromdev = "shape of fromdev.com 'allow multiple CORS origins in .htaccess' (2025)";
const char* const kEnableCors = "shape of monsur/enable-cors.org PR #75 (regex allowed adversary.com)";
const char* const kExpress = "expressjs/cors README (origin: regular expressions)";
const char* const kFruitcake = "fruitcake/php-cors README (allowedOriginsPatterns)";
const char* const kSpring = "Spring CorsConfiguration.allowedOriginPatterns docs (a glob, moved as a pattern)";
const char* const kDocs = "mod_cors docs (the safe forms docs/ recommends)";
const char* const kIssue = "mod_cors issue 23";

const std::vector<Row> kRows = {
    // The seed: only subdomains of partner.domain.com, but over http:// too.
    {kSeed, "@\\.partner\\.domain\\.com$@", {}, false, {{Flaw::InsecureScheme, "http://x.partner.domain.com"}}},
    {kSeed, "@\\.partner\\.domain\\.com$@", {}, true, {{Flaw::InsecureScheme, "http://x.partner.domain.com"}}},
    {kSeed, "@\\.partner\\.domain\\.com@", {}, false,
     {{Flaw::NoEndAnchor, "https://x.partner.domain.com.evil.example"},
      {Flaw::InsecureScheme, "http://x.partner.domain.com"}}},
    {kIssue, "@^https://api.partner.com$@", {}, false, {{Flaw::UnescapedDot, "https://apixpartner.com"}}},
    {kContract, "partner\\.com$", {}, false,
     {{Flaw::NoStartBoundary, "https://evilpartner.com"}, {Flaw::InsecureScheme, "http://partner.com"}}},
    {kContract, "^https://partner\\.com", {}, false, {{Flaw::NoEndAnchor, "https://partner.com.evil.example"}}},
    {kContract, "^https://partner\\.com$", {"https://partner.com"}, false, {}},
    {kSanic, "https://trusted\\.com", {}, false, {{Flaw::NoEndAnchor, "https://trusted.com.evil.example"}}},
    {kClusterfuzz, "https?://(.*-dot-)?test-client-site.appspot.com", {}, false,
     {{Flaw::UnescapedDot, "https://test-client-sitexappspot.com"},
      {Flaw::NoEndAnchor, "https://test-client-site.appspot.com.evil.example"}}},
    // appspot.com is a public suffix: X-dot-app.appspot.com is another registrable domain by the list
    {kClusterfuzz, "^https?://(.*-dot-)?test-client-site\\.appspot\\.com$", {}, false,
     {{Flaw::NoStartBoundary, "https://evil-dot-test-client-site.appspot.com"}}},
    {kFlask183, "https?://example.com", {}, false, {{Flaw::NoEndAnchor, "https://example.com.evil.example"}}},
    {kFlask400, "^https?://.*\\.example\\.com", {}, false,
     {{Flaw::NoEndAnchor, "https://x.example.com.evil.example"}}},
    {kFlask400, "^https?://.*\\.example\\.com$", {}, false, {}},
    {kFlask400, "^https?://.*example\\.com$", {}, false, {{Flaw::NoStartBoundary, "https://evilexample.com"}}},
    {kChromium, "https://.*\\.chromestatus\\.com", {}, false,
     {{Flaw::NoEndAnchor, "https://x.chromestatus.com.evil.example"}}},
    {kChromium, "^https://.*\\.chromestatus\\.com$", {}, false, {}},
    {kPortSwigger, "normal-website\\.com$", {}, false,
     {{Flaw::NoStartBoundary, "https://evilnormal-website.com"}, {Flaw::InsecureScheme, "http://normal-website.com"}}},
    {kPortSwigger, "^https://normal-website\\.com", {}, false,
     {{Flaw::NoEndAnchor, "https://normal-website.com.evil.example"}}},
    {kPortSwiggerNull, "^(https://normal-website\\.com|null)$", {}, false, {{Flaw::NullOrigin, "null"}}},
    {kPortSwiggerNull, "^https://normal-website\\.com$|^null$", {}, true, {{Flaw::NullOrigin, "null"}}},
    {kJub0bs, "^https://(foo|bar)\\.com$", {"https://foo.com", "https://bar.com"}, false, {}},
    {kJub0bs, "^https://.*(foo|bar)\\.com$", {"https://foo.com", "https://bar.com"}, false,
     {{Flaw::NoStartBoundary, "https://evilfoo.com"}}},
    {kJub0bs, "^https://(foo|bar)+\\.com$", {"https://foo.com", "https://bar.com"}, false,
     {{Flaw::LookAlike, "https://barfoo.com"}}},
    {kJub0bs, "(foo|bar)\\.com$", {"https://foo.com"}, false,
     {{Flaw::NoStartBoundary, "https://evilfoo.com"}, {Flaw::InsecureScheme, "http://foo.com"}}},
    {kDjango, "^https://\\w+\\.example\\.com$", {}, false, {}},
    {kDjango, "^https://\\w+\\.example\\.com", {}, false, {{Flaw::NoEndAnchor, "https://x.example.com.evil.example"}}},
    {kSO56153947, "^http(s)?://(.+\\.)?(example\\.com|example\\.org)$", {}, false, {}},
    {kSO56153947, "^http(s)?://(.+\\.)?(example\\.com|example\\.org)$", {}, true,
     {{Flaw::HttpCredentials, "http://example.com"}}},
    {kFromdev, "^https?://(www.)?example\\.com$", {}, false, {{Flaw::UnescapedDot, "https://wwwxexample.com"}}},
    {kFromdev, "^https?://(www\\.)?example\\.com$", {}, false, {}},
    {kEnableCors, "^https?://(.*)mckinsey\\.com$", {}, false, {{Flaw::NoStartBoundary, "https://evilmckinsey.com"}}},
    {kExpress, "/\\.example2\\.com$/", {"http://example1.com"}, false,
     {{Flaw::InsecureScheme, "http://x.example2.com"}}},
    {kExpress, "/example\\.com$/", {}, false,
     {{Flaw::NoStartBoundary, "https://evilexample.com"}, {Flaw::InsecureScheme, "http://example.com"}}},
    {kExpress, "/example\\.com/", {}, false,
     {{Flaw::NoStartBoundary, "https://evilexample.com"}, {Flaw::NoEndAnchor, "https://example.com.evil.example"},
      {Flaw::InsecureScheme, "http://example.com"}}},
    {kFruitcake, "/localhost:\\d/", {}, false, {}},
    {kFruitcake, "@^https?://(localhost|127\\.0\\.0\\.1)(:\\d+)?$@", {}, false, {}},
    {kSpring, "https://*.domain1.com", {}, false, {{Flaw::Glob, nullptr}}},
    {kIssue, "^https://*.partner.domain.com$", {}, false, {{Flaw::Glob, nullptr}}},
    {kSpring, "https://*.domain1.com:[8080,8081]", {}, false, {{Flaw::Glob, nullptr}}},
    {kDocs, "#^https://(www|api)\\.partner\\.example$#i", {}, true, {}},
    {kDocs, "^https://.+\\.partner\\.example$", {}, true, {}},
    {kDocs, "/^https:\\/\\/a\\.example$/imsxuDUAn", {}, false, {}},
    {kDocs, "~^https://[a-z0-9-]+\\.partner\\.example(:[0-9]+)?$~", {}, true, {}},
    {kDocs, "^https://([a-z0-9-]+\\.)*partner\\.example$", {}, true, {}},
    {kDocs, "/^HTTPS:\\/\\/PARTNER\\.EXAMPLE$/i", {}, false, {}},
    {kDocs, "^https://partner\\.example\\z", {}, false, {}},
    {kDocs, "^https://[^.]+\\.partner\\.example$", {}, false, {}},
    {kDocs, "^https://partner\\.(com|net)$", {}, false, {}},
    {kPortSwigger, "^https://.+partner\\.com$", {}, false, {{Flaw::NoStartBoundary, "https://evilxpartner.com"}}},
    {kPortSwigger, "^https://a\\.partner\\.com|^https://b\\.partner\\.com$", {}, false,
     {{Flaw::NoEndAnchor, "https://a.partner.com.evil.example"}}},
    {kIssue, "^https://sub.partner.co.uk$", {}, false, {{Flaw::UnescapedDot, "https://subxpartner.co.uk"}}},
    {kIssue, "^https://[a-z]+.partner\\.com$", {}, false, {{Flaw::UnescapedDot, "https://xxpartner.com"}}},
    {kIssue, "^https://partner\\.com:\\d+", {}, false, {}},
    {kIssue, ".*", {}, false, {{Flaw::AnyOrigin, "https://evil.example"}, {Flaw::NullOrigin, "null"}}},
    {kIssue, "/^https?:\\/\\/.*$/", {}, false, {{Flaw::AnyOrigin, "https://evil.example"}}},
    {kIssue, "@^https://partner\\.example$|null@", {}, false,
     {{Flaw::NoEndAnchor, "https://null.evil.example"}, {Flaw::NullOrigin, "null"}}},
};

BOOST_AUTO_TEST_SUITE(counterexamples)

BOOST_AUTO_TEST_CASE(the_table_has_at_least_forty_real_world_rows) { BOOST_TEST(kRows.size() >= 40u); }

BOOST_DATA_TEST_CASE(pattern_table, bdata::make(kRows), row) {
    std::string error;
    auto pattern = cors::Pattern::compile(row.pattern, error);
    BOOST_REQUIRE_MESSAGE(pattern, row.pattern << ": " << error);
    cors::Intent intent;
    intent.listed = row.listed;
    intent.credentials = row.credentials;
    const auto found = cors::counterexamples(*pattern, intent);
    std::string got;
    for (const auto& c : found) got += std::string(cors::to_string(c.flaw)) + " " + c.origin + "; ";
    BOOST_TEST_CONTEXT(row.source << ": " << row.pattern << " gave: " << got) {
        BOOST_TEST_REQUIRE(found.size() == row.expected.size());
        for (std::size_t i = 0; i < found.size(); ++i) {
            BOOST_TEST(found[i].flaw == row.expected[i].flaw, "flaw " << i);
            if (row.expected[i].origin) BOOST_TEST(found[i].origin == row.expected[i].origin);
            BOOST_TEST(!found[i].fix.empty());
            // Every counterexample is an origin the pattern really allows.
            if (found[i].flaw != Flaw::Glob) BOOST_TEST((pattern->match(found[i].origin) == cors::MatchResult::Match));
        }
    }
}

BOOST_AUTO_TEST_CASE(the_message_names_directive_pattern_origin_and_fix) {
    std::string error;
    auto pattern = cors::Pattern::compile("@^https://api.partner.com$@", error);
    BOOST_REQUIRE(pattern);
    const auto found = cors::counterexamples(*pattern, {});
    BOOST_REQUIRE(found.size() == 1u);
    BOOST_TEST(cors::describe("CORSAllowOriginMatch", pattern->source(), found[0]) ==
               "CORSAllowOriginMatch \"@^https://api.partner.com$@\" allows https://apixpartner.com (unescaped "
               "dot): escape the dot (\\.)");
}

BOOST_AUTO_TEST_CASE(listed_origins) {
    cors::Intent plain;
    BOOST_TEST(cors::counterexamples_of_origin("null", plain).size() == 1u);
    BOOST_TEST(cors::counterexamples_of_origin("https://*.partner.com", plain).empty());
    BOOST_TEST(cors::counterexamples_of_origin("http://partner.com", plain).empty());
    cors::Intent credentials;
    credentials.credentials = true;
    const auto http = cors::counterexamples_of_origin("http://*.partner.com:*", credentials);
    BOOST_REQUIRE(http.size() == 1u);
    BOOST_TEST(http[0].origin == "http://x.partner.com");
    BOOST_TEST(cors::counterexamples_of_origin("https://partner.com", credentials).empty());
}

BOOST_AUTO_TEST_CASE(registrable_domains_by_the_public_suffix_list) {
    BOOST_TEST(cors::registrable_domain("api.partner.co.uk") == "partner.co.uk");
    BOOST_TEST(cors::registrable_domain("x.test-client-site.appspot.com") == "test-client-site.appspot.com");
    BOOST_TEST(cors::registrable_domain("localhost") == "localhost");
    BOOST_TEST(cors::registrable_domain("127.0.0.1") == "127.0.0.1");
}

BOOST_AUTO_TEST_CASE(witnesses_spell_the_pattern) {
    std::string error;
    auto seed = cors::Pattern::compile("@\\.partner\\.domain\\.com$@", error);
    BOOST_REQUIRE(seed);
    const auto w = cors::witnesses(*seed);
    BOOST_REQUIRE(!w.empty());
    BOOST_TEST(w.front() == "https://x.partner.domain.com");
}

// A hostile pattern at configuration time: bounded by the match limits and the budget.
BOOST_AUTO_TEST_CASE(a_hostile_pattern_does_not_hang) {
    const char* hostile[] = {
        "/^(https?:\\/\\/)?(([a-z0-9]+)*)+\\.example\\.com$/",
        "^(a|aa)+(b|bb)+(c|cc)+(d|dd)+(e|ee)+$",
        "^((((((((((x*)*)*)*)*)*)*)*)*)*)*y$",
        "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
    };
    for (const char* text : hostile) {
        std::string error;
        auto pattern = cors::Pattern::compile(text, error);
        if (!pattern) continue;
        const auto start = std::chrono::steady_clock::now();
        (void)cors::counterexamples(*pattern, {});
        const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        BOOST_TEST(seconds < 10.0, text << " took " << seconds << " s");
    }
}

BOOST_AUTO_TEST_CASE(globs) {
    BOOST_TEST(cors::looks_like_glob("^https://*.partner.domain.com$"));
    BOOST_TEST(cors::looks_like_glob("@https://*\\.partner\\.com@"));
    BOOST_TEST(cors::looks_like_glob("*.partner.com"));
    BOOST_TEST(!cors::looks_like_glob("^https://.*\\.partner\\.com$"));
    BOOST_TEST(!cors::looks_like_glob("/^https:\\/\\/a\\.example$/"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace

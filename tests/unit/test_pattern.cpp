// CORSAllowOriginMatch: PHP-form parsing (delimiters, modifiers, PHP's errors),
// compilation errors, match semantics, limits, PatternList (pattern.hpp).
#include <boost/test/unit_test.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/data/monomorphic.hpp>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "pattern.hpp"
#include "test_support.hpp"

using cors::MatchResult;
using cors::Pattern;
using cors::PatternList;
using cors::PhpRegex;
namespace bdata = boost::unit_test::data;

namespace cors {
inline std::ostream& operator<<(std::ostream& os, MatchResult r) {
    switch (r) {
        case MatchResult::NoMatch: return os << "NoMatch";
        case MatchResult::Match: return os << "Match";
        case MatchResult::LimitExceeded: return os << "LimitExceeded";
        case MatchResult::Error: return os << "Error";
    }
    return os << "MatchResult(?)";
}
}  // namespace cors

namespace {

// parse_php_regex that must succeed.
PhpRegex php(std::string_view text) {
    PhpRegex r;
    std::string err = cors::parse_php_regex(text, r);
    BOOST_TEST(err.empty(), "parse_php_regex(\"" << text << "\") failed: " << err);
    return r;
}

std::string php_error(std::string_view text) {
    PhpRegex r;
    return cors::parse_php_regex(text, r);
}

std::unique_ptr<Pattern> compiled(std::string_view text) {
    std::string err;
    auto p = Pattern::compile(text, err);
    BOOST_REQUIRE_MESSAGE(p, "compile(\"" << text << "\") failed: " << err);
    return p;
}

MatchResult match(std::string_view pattern, std::string_view subject) {
    return compiled(pattern)->match(subject);
}

std::string compile_error(std::string_view text) {
    std::string err;
    auto p = Pattern::compile(text, err);
    BOOST_TEST(!p, "compile(\"" << text << "\") unexpectedly succeeded");
    BOOST_TEST(!err.empty());
    return err;
}

// What PCRE2 itself says about `body`: message and offset.
struct Pcre2Error {
    std::string message;
    std::size_t offset = 0;
};
Pcre2Error pcre2_error_of(std::string_view body, std::uint32_t options) {
    int code = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* c = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(body.data()), body.size(), options, &code,
                                  &offset, nullptr);
    BOOST_REQUIRE_MESSAGE(c == nullptr, "test bug: body compiles: " << body);
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(code, buf, sizeof buf);
    return {reinterpret_cast<const char*>(buf), offset};
}

const std::string kCatastrophic = "/^(a+)+$/";
const std::string kCatastrophicSubject = std::string(40, 'a') + "b";

struct Modifier {
    char letter;
    std::uint32_t options;
};
std::ostream& operator<<(std::ostream& os, const Modifier& m) { return os << "modifier " << m.letter; }

const std::vector<Modifier> kModifiers = {
    {'i', PCRE2_CASELESS},
    {'m', PCRE2_MULTILINE},
    {'s', PCRE2_DOTALL},
    {'x', PCRE2_EXTENDED},
    {'u', PCRE2_UTF | PCRE2_UCP},
    {'D', PCRE2_DOLLAR_ENDONLY},
    {'U', PCRE2_UNGREEDY},
    {'A', PCRE2_ANCHORED},
    {'n', PCRE2_NO_AUTO_CAPTURE},
    {'J', PCRE2_DUPNAMES},
    {'S', 0},
    {'X', 0},
};

struct Delimited {
    std::string text;
    std::string body;
};
std::ostream& operator<<(std::ostream& os, const Delimited& d) { return os << '"' << d.text << '"'; }

const std::vector<Delimited> kDelimiters = {
    {"/abc/", "abc"}, {"@abc@", "abc"}, {"#abc#", "abc"}, {"~abc~", "abc"}, {"!abc!", "abc"},
    {"%abc%", "abc"}, {"+abc+", "abc"}, {",abc,", "abc"}, {"|abc|", "abc"}, {";abc;", "abc"},
    {"(abc)", "abc"}, {"[abc]", "abc"}, {"{abc}", "abc"}, {"<abc>", "abc"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(php_regex)

BOOST_DATA_TEST_CASE(every_delimiter_kind_is_php_form, bdata::make(kDelimiters), d) {
    PhpRegex r = php(d.text);
    BOOST_TEST(r.php_form);
    BOOST_TEST(r.body == d.body);
    BOOST_TEST(r.options == 0u);
    BOOST_TEST(r.modifiers.empty());
}

BOOST_DATA_TEST_CASE(each_modifier_sets_php_pcre2_options, bdata::make(kModifiers), m) {
    PhpRegex r = php(std::string("/a/") + m.letter);
    BOOST_TEST(r.php_form);
    BOOST_TEST(r.body == "a");
    BOOST_TEST(r.options == m.options);
    BOOST_TEST(r.modifiers == std::string(1, m.letter));
}

BOOST_AUTO_TEST_CASE(all_modifiers_together_combine_options) {
    PhpRegex r = php("/a/imsxuDUAnJSX");
    std::uint32_t all = 0;
    for (const Modifier& m : kModifiers) all |= m.options;
    BOOST_TEST(r.options == all);
    BOOST_TEST(r.modifiers == "imsxuDUAnJSX");
}

BOOST_AUTO_TEST_CASE(contract_example_at_delimiter_with_i) {
    PhpRegex r = php("@\\.partner\\.example$@i");
    BOOST_TEST(r.php_form);
    BOOST_TEST(r.body == "\\.partner\\.example$");
    BOOST_TEST(r.options == std::uint32_t(PCRE2_CASELESS));
}

BOOST_AUTO_TEST_CASE(contract_example_hash_delimiter_with_slashes_inside) {
    PhpRegex r = php("#^https://(www|api)\\.partner\\.example$#");
    BOOST_TEST(r.php_form);
    BOOST_TEST(r.body == "^https://(www|api)\\.partner\\.example$");
    BOOST_TEST(r.options == 0u);
}

BOOST_AUTO_TEST_CASE(bracket_delimiters_take_modifiers) {
    PhpRegex r = php("(abc)i");
    BOOST_TEST(r.php_form);
    BOOST_TEST(r.body == "abc");
    BOOST_TEST(r.options == std::uint32_t(PCRE2_CASELESS));
    PhpRegex s = php("<abc>ms");
    BOOST_TEST(s.body == "abc");
    BOOST_TEST(s.options == std::uint32_t(PCRE2_MULTILINE | PCRE2_DOTALL));
}

BOOST_AUTO_TEST_CASE(round_brackets_nest) {
    PhpRegex r = php("(^https://(www|api)\\.example$)i");
    BOOST_TEST(r.body == "^https://(www|api)\\.example$");
    BOOST_TEST(r.options == std::uint32_t(PCRE2_CASELESS));
}

BOOST_AUTO_TEST_CASE(square_brackets_nest) {
    BOOST_TEST(php("[^https://[a-z]+\\.example$]").body == "^https://[a-z]+\\.example$");
}

BOOST_AUTO_TEST_CASE(curly_brackets_nest) {
    BOOST_TEST(php("{^a{1,3}$}").body == "^a{1,3}$");
}

BOOST_AUTO_TEST_CASE(angle_brackets_nest) {
    BOOST_TEST(php("<^(?<name>a)$>").body == "^(?<name>a)$");
}

BOOST_AUTO_TEST_CASE(escaped_closing_bracket_does_not_close) {
    PhpRegex r = php("(a\\)b)i");
    BOOST_TEST(r.body == "a\\)b");
    BOOST_TEST(r.options == std::uint32_t(PCRE2_CASELESS));
}

BOOST_AUTO_TEST_CASE(escaped_delimiter_does_not_close) {
    BOOST_TEST(php("/https:\\/\\/a/").body == "https:\\/\\/a");
    BOOST_TEST(php("#a\\#b#").body == "a\\#b");
}

BOOST_AUTO_TEST_CASE(escaped_backslash_before_delimiter_closes) {
    PhpRegex r = php("/a\\\\/i");  // PHP: body `a\\`, modifier i
    BOOST_TEST(r.body == "a\\\\");
    BOOST_TEST(r.options == std::uint32_t(PCRE2_CASELESS));
}

BOOST_AUTO_TEST_CASE(leading_white_space_is_skipped_as_php_does) {
    PhpRegex r = php("  \t\n/abc/i");
    BOOST_TEST(r.php_form);
    BOOST_TEST(r.body == "abc");
    BOOST_TEST(r.options == std::uint32_t(PCRE2_CASELESS));
}

BOOST_AUTO_TEST_CASE(space_newline_cr_among_modifiers_are_ignored) {
    PhpRegex r = php("/abc/i m\r\n");
    BOOST_TEST(r.php_form);
    BOOST_TEST(r.body == "abc");
    BOOST_TEST(r.options == std::uint32_t(PCRE2_CASELESS | PCRE2_MULTILINE));
}

BOOST_AUTO_TEST_CASE(no_ending_delimiter_is_php_error) {
    BOOST_TEST(test_support::contains_ci(php_error("/abc"), "No ending delimiter '/' found"));
    BOOST_TEST(test_support::contains_ci(php_error("@abc"), "No ending delimiter '@' found"));
    BOOST_TEST(test_support::contains_ci(php_error("#^https://a\\.example$"), "No ending delimiter '#' found"));
}

BOOST_AUTO_TEST_CASE(every_always_php_delimiter_without_end_is_an_error) {
    for (char d : std::string("/@#~!%+,")) {
        std::string text = std::string(1, d) + "^https://a\\.example$";
        BOOST_TEST(!php_error(text).empty(), "parse_php_regex(\"" << text << "\")");
    }
}

BOOST_AUTO_TEST_CASE(leading_white_space_then_no_ending_delimiter_is_error) {
    BOOST_TEST(test_support::contains_ci(php_error("   /abc"), "No ending delimiter '/' found"));
}

BOOST_AUTO_TEST_CASE(escaped_final_delimiter_leaves_no_ending_delimiter) {
    BOOST_TEST(test_support::contains_ci(php_error("/abc\\/"), "No ending delimiter '/' found"));
}

BOOST_AUTO_TEST_CASE(unknown_modifier_is_php_error) {
    BOOST_TEST(test_support::contains_ci(php_error("/abc/z"), "Unknown modifier 'z'"));
    BOOST_TEST(test_support::contains_ci(php_error("/abc/iz"), "Unknown modifier 'z'"));
    BOOST_TEST(test_support::contains_ci(php_error("#abc#I"), "Unknown modifier 'I'"));
}

BOOST_AUTO_TEST_CASE(eval_and_other_letters_are_not_modifiers) {
    for (const char* t : {"/a/e", "/a/g", "/a/r", "/a/\ti", "/a/1"})
        BOOST_TEST(!php_error(t).empty(), "parse_php_regex(\"" << t << "\")");
}

BOOST_AUTO_TEST_CASE(bracket_form_without_matching_end_is_php_error) {
    // Ends with ")", so PHP form; PHP's nested scan finds no matching ")".
    BOOST_TEST(test_support::contains_ci(php_error("((abc)"), "No ending matching delimiter ')' found"));
    BOOST_TEST(test_support::contains_ci(php_error("(abc\\)"), "No ending matching delimiter ')' found"));
    BOOST_TEST(test_support::contains_ci(php_error("{a{b}"), "No ending matching delimiter '}' found"));
    BOOST_TEST(test_support::contains_ci(php_error("[a[b]i"), "No ending matching delimiter ']' found"));
}

BOOST_AUTO_TEST_CASE(other_delimiter_form_with_bad_modifier_is_php_error) {
    // Ends with "|i": PHP form; PHP closes at the second "|" and sees "b".
    BOOST_TEST(test_support::contains_ci(php_error("|a|b|i"), "Unknown modifier 'b'"));
}

BOOST_AUTO_TEST_CASE(empty_pattern_is_an_error) {
    BOOST_TEST(!php_error("").empty());
    BOOST_TEST(!php_error("  \t").empty());
    std::string err;
    BOOST_TEST(!Pattern::compile("", err));
}

BOOST_AUTO_TEST_CASE(plain_pattern_is_used_whole) {
    PhpRegex r = php("^https://.+\\.partner\\.example$");
    BOOST_TEST(!r.php_form);
    BOOST_TEST(r.body == "^https://.+\\.partner\\.example$");
    BOOST_TEST(r.options == 0u);
}

BOOST_AUTO_TEST_CASE(plain_pattern_starting_with_a_group_is_plain) {
    // "(" is a PHP delimiter, but ")" is followed by non-modifiers: plain.
    PhpRegex r = php("(www|api)\\.partner\\.example$");
    BOOST_TEST(!r.php_form);
    BOOST_TEST(r.body == "(www|api)\\.partner\\.example$");
}

BOOST_AUTO_TEST_CASE(plain_pattern_starting_with_letter_or_backslash_is_plain) {
    BOOST_TEST(!php("https://a\\.example$").php_form);
    BOOST_TEST(!php("\\Ahttps://a\\.example\\z").php_form);
}

BOOST_AUTO_TEST_CASE(other_delimiter_without_end_falls_back_to_plain) {
    PhpRegex r = php("|^https://a\\.example$");
    BOOST_TEST(!r.php_form);
    BOOST_TEST(r.body == "|^https://a\\.example$");
}

BOOST_AUTO_TEST_CASE(other_delimiter_followed_by_non_modifier_is_plain) {
    PhpRegex r = php("|abc|z");
    BOOST_TEST(!r.php_form);
    BOOST_TEST(r.body == "|abc|z");
}

BOOST_AUTO_TEST_CASE(unclosed_brace_is_a_plain_literal) {
    PhpRegex r = php("{abc");
    BOOST_TEST(!r.php_form);
    BOOST_TEST(match("{abc", "x{abcx") == MatchResult::Match);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pattern_compile)

BOOST_AUTO_TEST_CASE(compile_keeps_source_text) {
    auto p = compiled("@\\.partner\\.example$@i");
    BOOST_TEST(p->source() == "@\\.partner\\.example$@i");
}

BOOST_AUTO_TEST_CASE(compile_uses_jit_when_available) {
    std::uint32_t jit_available = 0;
    pcre2_config(PCRE2_CONFIG_JIT, &jit_available);
    auto p = compiled("/^https:\\/\\/a\\.example$/");
    BOOST_TEST(p->jit() == (jit_available != 0));
}

BOOST_AUTO_TEST_CASE(compile_without_jit_when_asked) {
    std::string err;
    auto p = Pattern::compile("@^https://a\\.example$@i", err, false);
    BOOST_REQUIRE(p);
    BOOST_TEST(!p->jit());
    BOOST_TEST(p->match("https://A.example") == MatchResult::Match);
    BOOST_TEST(p->match("https://b.example") == MatchResult::NoMatch);
}

BOOST_AUTO_TEST_CASE(compile_reports_php_no_ending_delimiter) {
    BOOST_TEST(test_support::contains_ci(compile_error("/^https:\\/\\/a"), "No ending delimiter '/' found"));
}

BOOST_AUTO_TEST_CASE(compile_reports_php_unknown_modifier) {
    BOOST_TEST(test_support::contains_ci(compile_error("/a/z"), "Unknown modifier 'z'"));
}

BOOST_AUTO_TEST_CASE(compile_error_carries_pcre2_message_and_offset_php_form) {
    Pcre2Error want = pcre2_error_of("^(https:\\/\\/a", 0);  // the body between the slashes
    std::string err = compile_error("/^(https:\\/\\/a/");
    BOOST_TEST(err.find(want.message) != std::string::npos, err);
    BOOST_TEST(err.find(std::to_string(want.offset)) != std::string::npos, err);
}

BOOST_AUTO_TEST_CASE(compile_error_carries_pcre2_message_and_offset_plain) {
    Pcre2Error want = pcre2_error_of("^https://a{2,1}$", 0);
    std::string err = compile_error("^https://a{2,1}$");
    BOOST_TEST(err.find(want.message) != std::string::npos, err);
    BOOST_TEST(err.find(std::to_string(want.offset)) != std::string::npos, err);
}

BOOST_AUTO_TEST_CASE(unclosed_group_without_php_delimiter_end_is_a_compile_error) {
    Pcre2Error want = pcre2_error_of("(abc", 0);
    std::string err = compile_error("(abc");
    BOOST_TEST((err.find(want.message) != std::string::npos ||
                err.find("No ending matching delimiter ')' found") != std::string::npos),
               err);
}

BOOST_AUTO_TEST_CASE(n_modifier_makes_numbered_backreference_an_error) {
    BOOST_TEST(match("/^(a)\\1$/", "aa") == MatchResult::Match);
    Pcre2Error want = pcre2_error_of("^(a)\\1$", PCRE2_NO_AUTO_CAPTURE);
    std::string err = compile_error("/^(a)\\1$/n");
    BOOST_TEST(err.find(want.message) != std::string::npos, err);
}

BOOST_AUTO_TEST_CASE(n_modifier_keeps_named_groups) {
    BOOST_TEST(match("/^(?<x>a)\\k<x>$/n", "aa") == MatchResult::Match);
}

BOOST_AUTO_TEST_CASE(duplicate_names_need_J) {
    std::string err;
    BOOST_TEST(!Pattern::compile("/^(?:(?<h>a)|(?<h>b))$/", err));
    BOOST_TEST(match("/^(?:(?<h>a)|(?<h>b))\\k<h>$/J", "bb") == MatchResult::Match);
}

BOOST_AUTO_TEST_CASE(u_modifier_refuses_invalid_utf8_pattern) {
    compile_error("/^\xff$/u");
    BOOST_TEST(match("/^\xff$/", "\xff") == MatchResult::Match);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// One row: a pattern as written in the configuration, an Origin value, what match() says.
struct Case {
    const char* name;
    std::string pattern, subject;
    MatchResult result;
};
std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

const std::vector<Case> kCases = {
    {"plain_pattern_matches_subdomains_only", "^https://.+\\.partner\\.example$", "https://www.partner.example", MatchResult::Match},
    {"plain_pattern_matches_subdomains_only", "^https://.+\\.partner\\.example$", "https://a.b.partner.example", MatchResult::Match},
    {"plain_pattern_matches_subdomains_only", "^https://.+\\.partner\\.example$", "https://partner.example", MatchResult::NoMatch},
    {"plain_pattern_matches_subdomains_only", "^https://.+\\.partner\\.example$", "https://www.partner.example.evil", MatchResult::NoMatch},
    {"plain_pattern_matches_subdomains_only", "^https://.+\\.partner\\.example$", "http://www.partner.example", MatchResult::NoMatch},
    {"hash_delimited_alternation", "#^https://(www|api)\\.partner\\.example$#", "https://www.partner.example", MatchResult::Match},
    {"hash_delimited_alternation", "#^https://(www|api)\\.partner\\.example$#", "https://api.partner.example", MatchResult::Match},
    {"hash_delimited_alternation", "#^https://(www|api)\\.partner\\.example$#", "https://web.partner.example", MatchResult::NoMatch},
    {"bracket_delimited_patterns_match", "{^https://[a-z]+\\.example$}", "https://abc.example", MatchResult::Match},
    {"bracket_delimited_patterns_match", "(^https://(www|api)\\.example$)", "https://api.example", MatchResult::Match},
    {"bracket_delimited_patterns_match", "[^https://[a-z]+\\.example$]", "https://a1.example", MatchResult::NoMatch},
    {"bracket_delimited_patterns_match", "<^https://(?<sub>[a-z]+)\\.example$>", "https://x.example", MatchResult::Match},
    {"without_i_matching_is_case_sensitive", "@^https://partner\\.example$@", "https://PARTNER.example", MatchResult::NoMatch},
    {"i_matches_case_insensitively", "@^https://partner\\.example$@i", "https://PARTNER.example", MatchResult::Match},
    {"i_matches_case_insensitively", "@\\.partner\\.example$@i", "https://www.Partner.Example", MatchResult::Match},
    {"m_lets_anchors_match_at_line_breaks", "/^https:\\/\\/a\\.example$/", "x\nhttps://a.example", MatchResult::NoMatch},
    {"m_lets_anchors_match_at_line_breaks", "/^https:\\/\\/a\\.example$/m", "x\nhttps://a.example", MatchResult::Match},
    {"s_lets_dot_match_newline", "/^a.b$/", "a\nb", MatchResult::NoMatch},
    {"s_lets_dot_match_newline", "/^a.b$/s", "a\nb", MatchResult::Match},
    {"x_ignores_white_space_and_comments", "/^ https : \\/\\/ a \\. example $  # the partner/x", "https://a.example", MatchResult::Match},
    {"x_ignores_white_space_and_comments", "/^ https : \\/\\/ a \\. example $/", "https://a.example", MatchResult::NoMatch},
    {"u_matches_characters_not_bytes", "/^a.b$/", "a\xc3\xbc" "b", MatchResult::NoMatch},
    {"u_matches_characters_not_bytes", "/^a.b$/u", "a\xc3\xbc" "b", MatchResult::Match},
    {"u_makes_word_class_unicode_aware", "/^\\w+$/", "b\xc3\xbc" "cher", MatchResult::NoMatch},
    {"u_makes_word_class_unicode_aware", "/^\\w+$/u", "b\xc3\xbc" "cher", MatchResult::Match},
    {"D_makes_dollar_match_only_at_the_very_end", "/^a\\.example$/", "a.example\n", MatchResult::Match},
    {"D_makes_dollar_match_only_at_the_very_end", "/^a\\.example$/D", "a.example\n", MatchResult::NoMatch},
    {"D_makes_dollar_match_only_at_the_very_end", "/^a\\.example$/D", "a.example", MatchResult::Match},
    // Atomic greedy a+ swallows both a's; ungreedy keeps one for the final a.
    {"U_inverts_greediness", "/^(?>a+)a$/", "aa", MatchResult::NoMatch},
    {"U_inverts_greediness", "/^(?>a+)a$/U", "aa", MatchResult::Match},
    {"A_anchors_at_the_start", "/partner\\.example$/", "https://partner.example", MatchResult::Match},
    {"A_anchors_at_the_start", "/partner\\.example$/A", "https://partner.example", MatchResult::NoMatch},
    {"A_anchors_at_the_start", "/https:\\/\\/partner\\.example$/A", "https://partner.example", MatchResult::Match},
    {"S_and_X_change_nothing", "/^https:\\/\\/a\\.example$/SX", "https://a.example", MatchResult::Match},
    {"S_and_X_change_nothing", "/^https:\\/\\/a\\.example$/SX", "https://b.example", MatchResult::NoMatch},
    {"invalid_utf8_subject_under_u_is_an_error_not_a_match", "/^https:/u", "https:\xff", MatchResult::Error},
    {"invalid_utf8_subject_under_u_is_an_error_not_a_match", "/^https:/", "https:\xff", MatchResult::Match},
    {"unanchored_pattern_matches_inside", "/partner\\.example/", "https://partner.example.evil", MatchResult::Match},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(pattern_match)

BOOST_DATA_TEST_CASE(matches, bdata::make(kCases), c) {
    BOOST_TEST(match(c.pattern, c.subject) == c.result, c.name);
}

BOOST_AUTO_TEST_CASE(match_takes_subject_length_not_nul) {
    std::string subject("https://a.example\0.evil", 23);
    BOOST_TEST(match("/^https:\\/\\/a\\.example$/", subject) == MatchResult::NoMatch);
}

BOOST_AUTO_TEST_CASE(catastrophic_backtracking_hits_the_limit_quickly) {
    auto p = compiled(kCatastrophic);
    auto start = std::chrono::steady_clock::now();
    MatchResult r = p->match(kCatastrophicSubject);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    BOOST_TEST(r == MatchResult::LimitExceeded);
    BOOST_TEST(ms.count() < 2000);
    BOOST_TEST(p->match("aaaa") == MatchResult::Match);
}

BOOST_AUTO_TEST_CASE(catastrophic_backtracking_without_jit_hits_the_limit_quickly) {
    std::string err;
    auto p = Pattern::compile(kCatastrophic, err, false);
    BOOST_REQUIRE(p);
    auto start = std::chrono::steady_clock::now();
    MatchResult r = p->match(kCatastrophicSubject);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    BOOST_TEST(r == MatchResult::LimitExceeded);
    BOOST_TEST(ms.count() < 2000);
}

BOOST_AUTO_TEST_CASE(catastrophic_plain_pattern_on_origin_hits_the_limit) {
    auto p = compiled("^https://(a|aa)+\\.example$");
    std::string subject = "https://" + std::string(60, 'a') + "b.example";
    BOOST_TEST(p->match(subject) == MatchResult::LimitExceeded);
}

BOOST_AUTO_TEST_CASE(match_is_thread_safe) {
    auto p = compiled("@^https://[a-z]+\\.partner\\.example$@i");
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                bool good = (i + t) % 2 == 0;
                MatchResult r = p->match(good ? "https://WWW.partner.example" : "https://www.partner.example.evil");
                if (r != (good ? MatchResult::Match : MatchResult::NoMatch)) ++wrong;
            }
        });
    for (auto& th : threads) th.join();
    BOOST_TEST(wrong.load() == 0);
}

// Should a PCRE2 need more for its match data than the stack arena holds, JIT patterns
// take it from the heap: the partner is still allowed (never "pattern match failed").
BOOST_AUTO_TEST_CASE(jit_match_falls_back_to_heap_match_data_when_the_arena_is_too_small) {
    auto p = compiled("@^https://[a-z]+\\.partner\\.example$@i");
    BOOST_REQUIRE(p->jit());
    PatternList list;
    BOOST_REQUIRE(list.add("@^https://a\\.example$@").empty());
    BOOST_REQUIRE(list.add("@^https://[a-z]+\\.partner\\.example$@i").empty());
    struct ArenaLimit {  // restored however the test ends
        explicit ArenaLimit(std::size_t n) : saved(cors::detail::match_arena_limit) { cors::detail::match_arena_limit = n; }
        ~ArenaLimit() { cors::detail::match_arena_limit = saved; }
        std::size_t saved;
    };
    for (std::size_t limit : {std::size_t{0}, std::size_t{64}}) {
        ArenaLimit small(limit);
        BOOST_TEST_CONTEXT("arena limited to " << limit << " bytes") {
            BOOST_TEST(p->match("https://www.partner.example") == MatchResult::Match);
            BOOST_TEST(p->match("https://www.partner.example.evil") == MatchResult::NoMatch);
            BOOST_TEST(p->match("https://www.p\xc3\xa4rtner.example") == MatchResult::NoMatch);  // the UTF path
            BOOST_TEST(list.match("https://www.partner.example") == MatchResult::Match);
            BOOST_TEST(list.match("https://b.example") == MatchResult::NoMatch);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(no_jit)

BOOST_AUTO_TEST_CASE(pattern_refusing_the_jit_still_matches) {
    auto p = compiled("/(*NO_JIT)^https:\\/\\/a\\.example$/");
    BOOST_TEST(!p->jit());
    BOOST_TEST(p->match("https://a.example") == MatchResult::Match);
    BOOST_TEST(p->match("https://b.example") == MatchResult::NoMatch);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(anchored_at_end)

BOOST_AUTO_TEST_CASE(dollar_at_end_is_anchored) {
    BOOST_TEST(compiled("/^https:\\/\\/a\\.example$/")->anchored_at_end());
    BOOST_TEST(compiled("@\\.partner\\.example$@i")->anchored_at_end());
    BOOST_TEST(compiled("^https://.+\\.partner\\.example$")->anchored_at_end());
}

BOOST_AUTO_TEST_CASE(backslash_z_at_end_is_anchored) {
    BOOST_TEST(compiled("/a\\.example\\z/")->anchored_at_end());
    BOOST_TEST(compiled("/a\\.example\\Z/")->anchored_at_end());
}

BOOST_AUTO_TEST_CASE(no_end_anchor_is_not_anchored) {
    BOOST_TEST(!compiled("/^https:\\/\\/a\\.example/")->anchored_at_end());
    BOOST_TEST(!compiled("#\\.partner\\.example#i")->anchored_at_end());
    BOOST_TEST(!compiled("^https://.+\\.partner\\.example")->anchored_at_end());
}

BOOST_AUTO_TEST_CASE(escaped_dollar_is_not_an_anchor) {
    BOOST_TEST(!compiled("/^a\\$/")->anchored_at_end());
}

BOOST_AUTO_TEST_CASE(escaped_backslash_before_dollar_keeps_the_anchor) {
    BOOST_TEST(compiled("/^a\\\\$/")->anchored_at_end());
}

BOOST_AUTO_TEST_CASE(anchor_only_in_last_alternative_of_a_group_is_not_anchored) {
    // ^https://(a\.example|b\.example$) also matches https://a.example.evil
    auto p = compiled("/^https:\\/\\/(a\\.example|b\\.example$)/");
    BOOST_REQUIRE(p->match("https://a.example.evil") == MatchResult::Match);
    BOOST_TEST(!p->anchored_at_end());
}

BOOST_AUTO_TEST_CASE(anchor_inside_final_group_is_anchored) {
    BOOST_TEST(compiled("/^https:\\/\\/(www|api)\\.example(\\.com$)/")->anchored_at_end());
}

BOOST_AUTO_TEST_CASE(anchor_only_in_first_alternative_is_not_anchored) {
    BOOST_TEST(!compiled("/^a\\.example$|b\\.example/")->anchored_at_end());
}

BOOST_AUTO_TEST_CASE(every_alternative_anchored_is_anchored) {
    BOOST_TEST(compiled("/^https:\\/\\/a\\.example$|^https:\\/\\/b\\.example$/")->anchored_at_end());
    BOOST_TEST(compiled("#^https://(a\\.example$|b\\.example$)#")->anchored_at_end());
}

BOOST_AUTO_TEST_CASE(anchored_group_in_each_alternative_of_a_named_group) {
    BOOST_TEST(compiled("~^https://(?<site>(?:a|b)\\.example$)~")->anchored_at_end());
    BOOST_TEST(!compiled("~^https://(?<site>a\\.example$|b)~")->anchored_at_end());
}

BOOST_AUTO_TEST_CASE(bar_and_dollar_in_a_character_class_are_literal) {
    BOOST_TEST(!compiled("/^https:\\/\\/a\\.example[$|]/")->anchored_at_end());
    BOOST_TEST(compiled("/^https:\\/\\/[a|b]\\.example$/")->anchored_at_end());
}

BOOST_AUTO_TEST_CASE(lookahead_or_quantified_group_is_not_an_anchor) {
    BOOST_TEST(!compiled("/^https:\\/\\/a\\.example(?=$)/")->anchored_at_end());
    BOOST_TEST(!compiled("/^https:\\/\\/a(\\.example$)?/")->anchored_at_end());
}

BOOST_AUTO_TEST_CASE(extended_mode_trailing_space_is_ignored) {
    BOOST_TEST(compiled("/^https:\\/\\/a\\.example$   /x")->anchored_at_end());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pattern_list)

BOOST_AUTO_TEST_CASE(empty_list_matches_nothing) {
    PatternList l;
    BOOST_TEST(l.empty());
    BOOST_TEST(l.match("https://a.example") == MatchResult::NoMatch);
}

BOOST_AUTO_TEST_CASE(add_keeps_configuration_order) {
    PatternList l;
    BOOST_TEST(l.add("/^https:\\/\\/a\\.example$/").empty());
    BOOST_TEST(l.add("^https://b\\.example$").empty());
    BOOST_TEST(!l.empty());
    BOOST_REQUIRE(l.patterns().size() == 2u);
    BOOST_TEST(l.patterns()[0]->source() == "/^https:\\/\\/a\\.example$/");
    BOOST_TEST(l.patterns()[1]->source() == "^https://b\\.example$");
}

BOOST_AUTO_TEST_CASE(add_refuses_bad_pattern_without_appending) {
    PatternList l;
    BOOST_TEST(test_support::contains_ci(l.add("/abc/z"), "Unknown modifier 'z'"));
    BOOST_TEST(!l.add("^(abc").empty());
    BOOST_TEST(l.empty());
    BOOST_TEST(l.patterns().empty());
}

BOOST_AUTO_TEST_CASE(matches_when_any_pattern_matches) {
    PatternList l;
    BOOST_REQUIRE(l.add("/^https:\\/\\/a\\.example$/").empty());
    BOOST_REQUIRE(l.add("@^https://b\\.example$@i").empty());
    BOOST_TEST(l.match("https://a.example") == MatchResult::Match);
    BOOST_TEST(l.match("https://B.example") == MatchResult::Match);
    BOOST_TEST(l.match("https://c.example") == MatchResult::NoMatch);
}

BOOST_AUTO_TEST_CASE(limit_exceeded_when_nothing_matched_and_one_hit_the_limit) {
    PatternList l;
    BOOST_REQUIRE(l.add("/^x$/").empty());
    BOOST_REQUIRE(l.add(kCatastrophic).empty());
    BOOST_TEST(l.match(kCatastrophicSubject) == MatchResult::LimitExceeded);
}

BOOST_AUTO_TEST_CASE(match_wins_over_an_earlier_limit) {
    PatternList l;
    BOOST_REQUIRE(l.add(kCatastrophic).empty());
    BOOST_REQUIRE(l.add("/b$/").empty());
    BOOST_TEST(l.match(kCatastrophicSubject) == MatchResult::Match);
}

BOOST_AUTO_TEST_SUITE_END()

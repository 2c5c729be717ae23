// libFuzzer target: cors::parse_php_regex, cors::Pattern::compile, Pattern::match.
//
// The input is a CORSAllowOriginMatch argument. Properties: never a crash or a
// sanitizer report; parse and compile agree (compile fails with parse's message when
// parse fails); a PHP-form body is the text between the delimiters; every match
// against fixed origins, hostile subjects and the input itself ends with a result
// (PCRE2's match and depth limits bound the work: libFuzzer's -timeout catches a hang);
// the JIT and the interpreter (compile(..., use_jit = false)) give the same answer
// wherever neither hit a limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "pattern.hpp"

using fuzz::show;

namespace {

const std::string kSubjects[] = {
    "https://app.example.com",
    "https://www.partner.example",
    "http://x.partner.domain.com:8080",
    "https://partner.example.evil.test",
    "https://partner.example@evil.test",
    "null",
    "HTTPS://API.PARTNER.EXAMPLE",
    "https://[::1]:8443",
    "https://" + std::string(60, 'a') + "!",
    "https://" + std::string(300, 'a') + ".partner.example",
    std::string(512, 'a'),
    "https://\xc3\xa9xample.com",   // raw UTF-8
    "https://\xff\xfe.example",     // invalid UTF-8 (with /u: an error, not a crash)
    "",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    cors::PhpRegex regex;
    const std::string parse_error = cors::parse_php_regex(text, regex);
    if (parse_error.empty() && regex.php_form) {
        FUZZ_CHECK(regex.body.size() + 2 <= text.size(), "body longer than the text");
        FUZZ_CHECK(text.find(regex.body) != std::string_view::npos, "body not in the text '%s'", show(text));
    } else if (parse_error.empty()) {
        FUZZ_CHECK(regex.body == text && regex.options == 0, "plain pattern changed");
    }

    std::string compile_error;
    std::unique_ptr<cors::Pattern> pattern = cors::Pattern::compile(text, compile_error);
    FUZZ_CHECK((pattern == nullptr) == !compile_error.empty(), "compile result and error disagree");
    if (!parse_error.empty())
        FUZZ_CHECK(!pattern && compile_error == parse_error, "compile accepted what parse refused: '%s'",
                   show(text));
    if (!pattern) return 0;
    FUZZ_CHECK(pattern->source() == text, "source changed");

    std::string interp_error;
    std::unique_ptr<cors::Pattern> interp = cors::Pattern::compile(text, interp_error, false);
    FUZZ_CHECK(interp && !interp->jit(), "compiles with JIT but not without: %s", interp_error.c_str());

    for (const std::string& subject : kSubjects) {
        cors::MatchResult r = pattern->match(subject);
        cors::MatchResult ri = interp->match(subject);
        if (r != cors::MatchResult::LimitExceeded && ri != cors::MatchResult::LimitExceeded)
            FUZZ_CHECK(r == ri, "JIT says %d, the interpreter %d, for '%s' on '%s'", static_cast<int>(r),
                       static_cast<int>(ri), show(text), subject.c_str());
        FUZZ_CHECK(r == cors::MatchResult::Match || r == cors::MatchResult::NoMatch ||
                       r == cors::MatchResult::LimitExceeded || r == cors::MatchResult::Error,
                   "bad result");
        // Deterministic: the same subject gives the same answer.
        FUZZ_CHECK(pattern->match(subject) == r, "match not deterministic for '%s'", show(subject));
    }
    (void)pattern->match(text);
    (void)pattern->match(regex.body);

    // The same pattern through a PatternList.
    cors::PatternList list;
    FUZZ_CHECK(list.add(text).empty() && list.patterns().size() == 1, "PatternList refused a compiled pattern");
    (void)list.match(kSubjects[0]);
    return 0;
}

// CORSAllowOriginMatch: PCRE2 patterns written as in PHP's preg_match(), or plain.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cors {

// What PHP's pcre_get_compiled_regex_cache() makes of a regex string.
struct PhpRegex {
    bool php_form = false;       // false: the whole text is a plain PCRE2 pattern
    std::string body;            // the pattern between the delimiters (or the whole text)
    std::uint32_t options = 0;   // PCRE2 compile options from the modifiers
    std::string modifiers;       // the modifier letters as written (for logs)
};

// Splits `text` as the contract says: PHP form when it starts with a PHP delimiter
// and ends with the matching end delimiter followed only by modifier letters (and
// PHP's ignorable ' ', '\n', '\r'), or when it starts with one of "/@#~!%+,";
// a PHP-form text is then parsed exactly as PHP does, and PHP's error is returned
// when that fails ("No ending delimiter '/' found", "Unknown modifier '|'");
// anything else is a plain pattern.
// Returns an empty string on success, else the error text.
std::string parse_php_regex(std::string_view text, PhpRegex& out);

enum class MatchResult { NoMatch, Match, LimitExceeded, Error };

// Bounds on the work one match may do: PHP's defaults (pcre.backtrack_limit and
// pcre.recursion_limit), so that a pattern allows exactly what it allowed in PHP.
constexpr std::uint32_t kMatchLimit = 1000000;
constexpr std::uint32_t kDepthLimit = 100000;

// One compiled pattern. Immutable after compile(); match() is thread-safe. A JIT match
// takes its match data from a stack arena and runs on PCRE2's 32 KiB of machine stack,
// allocating nothing; on the heap, for that match alone, go: the match data of a pattern
// matched without JIT (JIT unavailable, or refused by the pattern), a JIT stack of its
// own for a match that outgrows the machine stack, and the match data should a PCRE2
// ever need more than the arena holds.
class Pattern {
public:
    // Compiles `text` (PHP or plain form) with PCRE2, and JIT unless `use_jit` is
    // false (or JIT is unavailable). On failure returns null and sets `error`
    // (PHP's message, or PCRE2's message with the offset).
    static std::unique_ptr<Pattern> compile(std::string_view text, std::string& error, bool use_jit = true);
    ~Pattern();
    Pattern(const Pattern&) = delete;
    Pattern& operator=(const Pattern&) = delete;

    MatchResult match(std::string_view subject) const noexcept;

    const std::string& source() const noexcept { return source_; }
    bool jit() const noexcept { return jit_; }
    // False when the pattern can match with text after its last explicit anchor:
    // not ending in `$`, `\z` or `\Z` (a configuration warning).
    bool anchored_at_end() const noexcept { return anchored_at_end_; }

private:
    friend class PatternList;
    Pattern() = default;
    // A JIT match with the caller's match data; `ascii`: the subject needs no UTF check.
    MatchResult match_jit(std::string_view subject, void* match_data, bool ascii) const noexcept;
    MatchResult match_interpreted(std::string_view subject) const noexcept;

    std::string source_;
    void* code_ = nullptr;     // pcre2_code_8*
    void* mcontext_ = nullptr; // pcre2_match_context_8* with the limits
    bool jit_ = false;
    bool anchored_at_end_ = false;
};

namespace detail {
// The bytes of the stack arena a JIT match may use (at most its 512): for the unit test
// of the heap fallback only. Set it before any match runs; never changed in production.
extern std::size_t match_arena_limit;
}  // namespace detail

// The CORSAllowOriginMatch patterns of one scope, in configuration order.
class PatternList {
public:
    // Compiles and appends; returns an empty string or the error text.
    std::string add(std::string_view text);
    // Match if any pattern matches; LimitExceeded if none matched and one hit a limit.
    MatchResult match(std::string_view subject) const noexcept;
    const std::vector<std::unique_ptr<Pattern>>& patterns() const noexcept { return patterns_; }
    bool empty() const noexcept { return patterns_.empty(); }

private:
    std::vector<std::unique_ptr<Pattern>> patterns_;
};

}  // namespace cors

#define PCRE2_CODE_UNIT_WIDTH 8
#include "pattern.hpp"

#include <pcre2.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstring>
#include <new>
#include <vector>

namespace cors {
namespace {

// Delimiters that make a pattern PHP form for sure (the contract's list).
constexpr std::string_view kAlwaysPhpDelimiters = "/@#~!%+,";

bool is_php_space(char c) noexcept { return std::isspace(static_cast<unsigned char>(c)) != 0; }

char closing_delimiter(char open) noexcept {
    switch (open) {
        case '(': return ')';
        case '[': return ']';
        case '{': return '}';
        case '<': return '>';
        default: return open;
    }
}

// One PHP modifier letter: sets `options`, returns false when PHP rejects it.
bool apply_modifier(char m, std::uint32_t& options) noexcept {
    switch (m) {
        case 'i': options |= PCRE2_CASELESS; return true;
        case 'm': options |= PCRE2_MULTILINE; return true;
        case 'n': options |= PCRE2_NO_AUTO_CAPTURE; return true;
        case 's': options |= PCRE2_DOTALL; return true;
        case 'x': options |= PCRE2_EXTENDED; return true;
        case 'A': options |= PCRE2_ANCHORED; return true;
        case 'D': options |= PCRE2_DOLLAR_ENDONLY; return true;
        case 'S': return true;  // PHP: no-op since 7.3
        case 'X': return true;  // PHP: no-op since 7.3
        case 'U': options |= PCRE2_UNGREEDY; return true;
        case 'u': options |= PCRE2_UTF | PCRE2_UCP; return true;
        case 'J': options |= PCRE2_DUPNAMES; return true;
        case ' ': case '\n': case '\r': return true;  // PHP skips these
        default: return false;
    }
}

std::string char_message(const char* before, char c, const char* after) {
    std::string s(before);
    s += c;
    s += after;
    return s;
}

// Where PHP's scan for the end delimiter stops: the index of the end delimiter
// in `text`, or npos. Backslash escapes the next byte; bracket pairs nest.
std::size_t find_end_delimiter(std::string_view text, std::size_t from, char open, char close) noexcept {
    int depth = 1;
    for (std::size_t i = from; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\\' && i + 1 < text.size()) {
            ++i;
        } else if (c == close && (open == close || --depth <= 0)) {
            return i;
        } else if (c == open && open != close) {
            ++depth;
        }
    }
    return std::string_view::npos;
}

// The text, from the delimiter at `open_at`, ends with `close` and modifier letters.
bool ends_like_php_form(std::string_view text, std::size_t open_at, char close) noexcept {
    std::size_t end = text.size();
    std::uint32_t ignored = 0;
    while (end > open_at + 1 && apply_modifier(text[end - 1], ignored)) --end;
    return end > open_at + 1 && text[end - 1] == close;
}

}  // namespace

std::string parse_php_regex(std::string_view text, PhpRegex& out) {
    out = PhpRegex{};
    auto plain = [&]() {
        out.php_form = false;
        out.body.assign(text.data(), text.size());
        out.options = 0;
        out.modifiers.clear();
        return std::string();
    };

    std::size_t p = 0;
    while (p < text.size() && is_php_space(text[p])) ++p;
    if (p >= text.size()) return "Empty regular expression";
    const char open = text[p];
    if (std::isalnum(static_cast<unsigned char>(open)) || open == '\\' || open == '\0') return plain();

    // PHP form: an unmistakable delimiter, or (the contract's test) a text that
    // ends with the end delimiter and modifier letters only. From there on PHP's
    // own parse decides, and its errors are configuration errors.
    const char close = closing_delimiter(open);
    const bool strict = kAlwaysPhpDelimiters.find(open) != std::string_view::npos;
    if (!strict && !ends_like_php_form(text, p, close)) return plain();

    const std::size_t end = find_end_delimiter(text, p + 1, open, close);
    if (end == std::string_view::npos)
        return char_message(open == close ? "No ending delimiter '" : "No ending matching delimiter '",
                            close, "' found");
    std::uint32_t options = 0;
    for (std::size_t i = end + 1; i < text.size(); ++i) {
        const char m = text[i];
        if (apply_modifier(m, options)) continue;
        if (m == '\0') return "NUL is not a valid modifier";
        return char_message("Unknown modifier '", m, "'");
    }
    out.php_form = true;
    out.body.assign(text.data() + p + 1, end - p - 1);
    out.options = options;
    for (std::size_t i = end + 1; i < text.size(); ++i)
        if (!is_php_space(text[i])) out.modifiers += text[i];
    return std::string();
}

namespace {

// What the end-anchor check needs to know of a pattern's bytes: escaped or inside
// a character class, the group each ")" closes, the group each "|" belongs to.
struct PatternSyntax {
    static constexpr std::size_t kNone = std::string_view::npos;
    static constexpr std::size_t kTopLevel = kNone - 1;

    std::string_view text;
    bool extended;
    std::vector<bool> escaped, in_class;
    std::vector<std::size_t> open_of, bar_group;

    PatternSyntax(std::string_view t, bool x)
        : text(t), extended(x), escaped(t.size()), in_class(t.size()), open_of(t.size(), kNone),
          bar_group(t.size(), kNone) {
        std::vector<std::size_t> opens;
        bool in_set = false;
        std::size_t set_start = 0;
        for (std::size_t i = 0; i < t.size(); ++i) {
            const char c = t[i];
            in_class[i] = in_set;
            if (c == '\\' && i + 1 < t.size()) {
                escaped[++i] = true;
                in_class[i] = in_set;
            } else if (in_set) {
                // "]" right after "[" or "[^" is a literal member.
                if (c == ']' && i > set_start + 1 && !(i == set_start + 2 && t[set_start + 1] == '^'))
                    in_set = false;
            } else if (c == '[') {
                in_set = true;
                set_start = i;
            } else if (c == '(') {
                opens.push_back(i);
            } else if (c == ')' && !opens.empty()) {
                open_of[i] = opens.back();
                opens.pop_back();
            } else if (c == '|') {
                bar_group[i] = opens.empty() ? kTopLevel : opens.back();
            }
        }
    }

    bool plain(std::size_t i) const { return !escaped[i] && !in_class[i]; }

    // Every alternative of [lo, hi) in `group` ends with an anchor.
    bool alternatives_anchored(std::size_t lo, std::size_t hi, std::size_t group) const {
        std::size_t start = lo;
        for (std::size_t i = lo; i < hi; ++i) {
            if (bar_group[i] != group) continue;
            if (!branch_anchored(start, i)) return false;
            start = i + 1;
        }
        return branch_anchored(start, hi);
    }

    // [lo, hi) ends with `$`, `\z`, `\Z`, or a group all of whose alternatives do.
    bool branch_anchored(std::size_t lo, std::size_t hi) const {
        while (hi > lo && extended && plain(hi - 1) && is_php_space(text[hi - 1])) --hi;
        if (hi == lo) return false;
        const std::size_t last = hi - 1;
        const char c = text[last];
        if (plain(last) && c == '$') return true;
        if (escaped[last] && !in_class[last] && (c == 'z' || c == 'Z')) return true;
        if (!plain(last) || c != ')' || open_of[last] == kNone) return false;
        const std::size_t open = open_of[last];
        std::size_t inner = open + 1;
        if (inner < last && text[inner] == '?') {
            const char kind = inner + 1 < last ? text[inner + 1] : '\0';
            if (kind == ':' || kind == '>' || kind == '|') {
                inner += 2;
            } else if ((kind == 'P' || kind == '<' || kind == '\'') && inner + 2 < last &&
                       text[inner + 2] != '=' && text[inner + 2] != '!') {
                const char name_end = kind == '\'' ? '\'' : '>';
                std::size_t e = text.find(name_end, inner + 2);
                if (e == std::string_view::npos || e >= last) return false;
                inner = e + 1;
            } else {
                return false;  // lookarounds, option settings, conditionals: not an end anchor
            }
        }
        return alternatives_anchored(inner, last, open);
    }
};

// Every way the pattern can match ends at an anchor ($, \z, \Z).
bool ends_with_anchor(std::string_view body, bool extended) {
    PatternSyntax syntax(body, extended);
    return syntax.alternatives_anchored(0, body.size(), PatternSyntax::kTopLevel);
}

}  // namespace

namespace {

// PHP's JIT stack grows to 192 KiB. A match first runs on PCRE2's 32 KiB of machine
// stack (no allocation); only one that needs more runs again on a stack of its own.
constexpr PCRE2_SIZE kJitStackStart = 32 * 1024;
constexpr PCRE2_SIZE kJitStackMax = 192 * 1024;

}  // namespace

std::unique_ptr<Pattern> Pattern::compile(std::string_view text, std::string& error, bool use_jit) {
    PhpRegex regex;
    error = parse_php_regex(text, regex);
    if (!error.empty()) return nullptr;

    pcre2_compile_context* cctx = pcre2_compile_context_create(nullptr);
    if (!cctx) throw std::bad_alloc();
    pcre2_set_compile_extra_options(cctx, PCRE2_EXTRA_ALLOW_LOOKAROUND_BSK);  // as PHP does
    int errcode = 0;
    PCRE2_SIZE erroffset = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(regex.body.data()), regex.body.size(),
                                     regex.options, &errcode, &erroffset, cctx);
    pcre2_compile_context_free(cctx);
    if (!code) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(errcode, message, sizeof message);
        error = "Compilation failed: ";
        error += reinterpret_cast<const char*>(message);
        error += " at offset " + std::to_string(erroffset);
        return nullptr;
    }

    std::unique_ptr<Pattern> pattern(new Pattern());
    pattern->source_.assign(text.data(), text.size());
    pattern->code_ = code;
    // A pattern can refuse the JIT itself ((*NO_JIT)): only JIT code takes the stack arena.
    std::size_t jit_size = 0;
    pattern->jit_ = use_jit && pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0 &&
                    pcre2_pattern_info(code, PCRE2_INFO_JITSIZE, &jit_size) == 0 && jit_size > 0;
    pcre2_match_context* mctx = pcre2_match_context_create(nullptr);
    if (!mctx) throw std::bad_alloc();
    pcre2_set_match_limit(mctx, kMatchLimit);
    pcre2_set_depth_limit(mctx, kDepthLimit);
    pattern->mcontext_ = mctx;
    pattern->anchored_at_end_ = ends_with_anchor(regex.body, (regex.options & PCRE2_EXTENDED) != 0);
    return pattern;
}

Pattern::~Pattern() {
    pcre2_code_free(static_cast<pcre2_code*>(code_));
    pcre2_match_context_free(static_cast<pcre2_match_context*>(mcontext_));
}

namespace {

// A bump allocator over a stack buffer, so that a JIT match usually allocates nothing
// on the heap: PCRE2 takes its general context and match data from it.
struct StackArena {
    alignas(std::max_align_t) unsigned char bytes[512];
    std::size_t used = 0;

    static void* allocate(PCRE2_SIZE size, void* self) {
        auto* arena = static_cast<StackArena*>(self);
        std::size_t aligned = (size + alignof(std::max_align_t) - 1) & ~(alignof(std::max_align_t) - 1);
        if (arena->used + aligned > std::min(sizeof arena->bytes, detail::match_arena_limit)) return nullptr;
        void* p = arena->bytes + arena->used;
        arena->used += aligned;
        return p;
    }
    static void release(void*, void*) {}
};

}  // namespace

namespace {

MatchResult result_of(int rc) noexcept {
    if (rc >= 0) return MatchResult::Match;
    if (rc == PCRE2_ERROR_NOMATCH) return MatchResult::NoMatch;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
        rc == PCRE2_ERROR_JIT_STACKLIMIT)
        return MatchResult::LimitExceeded;
    return MatchResult::Error;
}

bool is_ascii(std::string_view s) noexcept {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

// Match data for JIT matches, from a stack arena. Should a PCRE2 ever need more than
// the arena holds, from the heap instead: a partner is never refused for want of it.
struct JitMatchData {
    StackArena arena;
    pcre2_match_data* md = nullptr;
    bool on_heap = false;
    JitMatchData() noexcept {
        if (pcre2_general_context* gctx =
                pcre2_general_context_create(&StackArena::allocate, &StackArena::release, &arena))
            md = pcre2_match_data_create(1, gctx);
        if (!md) {
            md = pcre2_match_data_create(1, nullptr);
            on_heap = md != nullptr;
        }
    }
    ~JitMatchData() {
        if (on_heap) pcre2_match_data_free(md);
    }
    JitMatchData(const JitMatchData&) = delete;
    JitMatchData& operator=(const JitMatchData&) = delete;
};

}  // namespace

namespace detail {
std::size_t match_arena_limit = static_cast<std::size_t>(-1);
}  // namespace detail

MatchResult Pattern::match(std::string_view subject) const noexcept {
    if (!jit_) return match_interpreted(subject);
    JitMatchData data;
    return data.md ? match_jit(subject, data.md, is_ascii(subject)) : MatchResult::Error;
}

MatchResult Pattern::match_jit(std::string_view subject, void* match_data, bool ascii) const noexcept {
    const auto* code = static_cast<const pcre2_code*>(code_);
    const auto* bytes = reinterpret_cast<PCRE2_SPTR>(subject.data());
    auto* md = static_cast<pcre2_match_data*>(match_data);
    auto* mctx = static_cast<pcre2_match_context*>(mcontext_);
    // pcre2_jit_match skips pcre2_match's checks, the UTF check among them: ASCII only.
    int rc = ascii ? pcre2_jit_match(code, bytes, subject.size(), 0, 0, md, mctx)
                   : pcre2_match(code, bytes, subject.size(), 0, 0, md, mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
        pcre2_jit_stack* stack = pcre2_jit_stack_create(kJitStackStart, kJitStackMax, nullptr);
        pcre2_match_context* deeper = stack ? pcre2_match_context_copy(mctx) : nullptr;
        if (deeper) {
            pcre2_jit_stack_assign(deeper, nullptr, stack);
            rc = pcre2_match(code, bytes, subject.size(), 0, 0, md, deeper);
        }
        pcre2_match_context_free(deeper);
        pcre2_jit_stack_free(stack);
    }
    return result_of(rc);
}

// Without JIT (unavailable here, or refused by the pattern) the interpreter needs
// more memory than the arena holds: its match data comes from the heap.
MatchResult Pattern::match_interpreted(std::string_view subject) const noexcept {
    pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
    if (!md) return MatchResult::Error;
    int rc = pcre2_match(static_cast<const pcre2_code*>(code_), reinterpret_cast<PCRE2_SPTR>(subject.data()),
                         subject.size(), 0, 0, md, static_cast<pcre2_match_context*>(mcontext_));
    pcre2_match_data_free(md);
    return result_of(rc);
}

std::string PatternList::add(std::string_view text) {
    std::string error;
    std::unique_ptr<Pattern> pattern = Pattern::compile(text, error);
    if (!pattern) return error;
    patterns_.push_back(std::move(pattern));
    return std::string();
}

MatchResult PatternList::match(std::string_view subject) const noexcept {
    JitMatchData data;  // one for the whole list
    const bool ascii = is_ascii(subject);
    MatchResult result = MatchResult::NoMatch;
    for (const auto& pattern : patterns_) {
        MatchResult r = !pattern->jit() ? pattern->match_interpreted(subject)
                        : data.md       ? pattern->match_jit(subject, data.md, ascii)
                                        : MatchResult::Error;
        if (r == MatchResult::Match) return r;
        if (r != MatchResult::NoMatch) result = r;
    }
    return result;
}

}  // namespace cors

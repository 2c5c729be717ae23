// Shared by the libFuzzer targets: a property check that aborts (libFuzzer then
// saves the input as a crash artifact) and prints what was violated.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond, ...)                                                        \
    do {                                                                             \
        if (!(cond)) {                                                               \
            std::fprintf(stderr, "PROPERTY VIOLATED at %s:%d: %s\n  ", __FILE__,     \
                         __LINE__, #cond);                                           \
            std::fprintf(stderr, __VA_ARGS__);                                       \
            std::fprintf(stderr, "\n");                                              \
            std::abort();                                                            \
        }                                                                            \
    } while (0)

namespace fuzz {

// True when `part` is a view into `whole` (not a copy).
inline bool within(std::string_view part, std::string_view whole) {
    if (part.empty()) return true;
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

inline bool has_byte(std::string_view s, std::string_view set) {
    return s.find_first_of(set) != std::string_view::npos;
}

// CR, LF, NUL: bytes no header value may carry.
inline bool has_crlfnul(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Prints a value for a violation message, escaping non-printable bytes (bounded).
inline const char* show(std::string_view s) {
    static thread_local char buf[1200];
    std::size_t o = 0;
    for (unsigned char c : s) {
        if (o + 5 >= sizeof buf) break;
        if (c >= 0x20 && c < 0x7f && c != '\\') buf[o++] = static_cast<char>(c);
        else o += static_cast<std::size_t>(std::snprintf(buf + o, sizeof buf - o, "\\x%02x", c));
    }
    buf[o] = '\0';
    return buf;
}

}  // namespace fuzz

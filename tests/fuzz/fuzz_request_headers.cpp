// libFuzzer target: cors::for_each_list_element (the Access-Control-Request-Headers and
// Vary parser) on arbitrary bytes.
//
// Properties: every element is a non-empty view into the input, in order and without
// overlap, with no leading or trailing SP/HTAB and no comma; the elements are exactly
// those of a straightforward reference split; the number of callbacks and the bytes
// handed out are bounded by the input (linear work; libFuzzer's -timeout catches
// anything worse); returning false stops the walk at once and is reported.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "rules.hpp"

using fuzz::show;

namespace {

// Split on ',', trim SP and HTAB, drop empty elements.
std::vector<std::string_view> reference_split(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        std::size_t comma = s.find(',', start);
        if (comma == std::string_view::npos) comma = s.size();
        std::string_view e = s.substr(start, comma - start);
        while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
        while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
        if (!e.empty()) out.push_back(e);
        start = comma + 1;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view list(reinterpret_cast<const char*>(data), size);

    std::vector<std::string_view> seen;
    std::size_t bytes = 0;
    const char* last_end = list.data();
    const bool completed = cors::for_each_list_element(list, [&](std::string_view e) {
        FUZZ_CHECK(!e.empty(), "empty element");
        FUZZ_CHECK(fuzz::within(e, list), "element outside the input");
        FUZZ_CHECK(e.data() >= last_end, "elements overlap or go backwards");
        FUZZ_CHECK(e.front() != ' ' && e.front() != '\t' && e.back() != ' ' && e.back() != '\t',
                   "element '%s' not trimmed", show(e));
        FUZZ_CHECK(e.find(',') == std::string_view::npos, "comma in element '%s'", show(e));
        FUZZ_CHECK(seen.size() <= size, "more callbacks than bytes");
        last_end = e.data() + e.size();
        bytes += e.size();
        seen.push_back(e);
        return true;
    });
    FUZZ_CHECK(completed, "walk stopped although the callback never returned false");
    FUZZ_CHECK(bytes <= size, "handed out more bytes than the input holds");

    const std::vector<std::string_view> expected = reference_split(list);
    FUZZ_CHECK(seen.size() == expected.size(), "%zu elements, reference %zu, in '%s'", seen.size(),
               expected.size(), show(list));
    for (std::size_t i = 0; i < seen.size(); ++i)
        FUZZ_CHECK(seen[i] == expected[i], "element %zu '%s' differs from the reference", i, show(seen[i]));

    // Early stop: false from the k-th callback ends the walk there.
    if (!seen.empty()) {
        const std::size_t k = size % seen.size();
        std::size_t calls = 0;
        const bool result = cors::for_each_list_element(list, [&](std::string_view) { return ++calls <= k; });
        FUZZ_CHECK(!result && calls == k + 1, "early stop: %zu calls for k=%zu", calls, k);
    }

    // The token test the preflight applies to each element never looks outside it.
    for (std::string_view e : seen) (void)cors::is_token(e);
    return 0;
}

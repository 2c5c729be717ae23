#include "origin_map.hpp"

#include <cstring>

namespace cors {
namespace {

constexpr std::size_t kQuotedMax = 120;

std::string shortened(std::string_view s) {
    if (s.size() <= kQuotedMax) return std::string(s);
    return std::string(s.substr(0, kQuotedMax)) + "...";
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

std::string_view origin_key(const Origin& origin, char* buffer) noexcept {
    if (origin.opaque) return {};
    const std::size_t need = origin.scheme.size() + 3 + origin.host.size() + 6;
    if (need > kMaxOriginKeyLength) return {};
    std::size_t n = 0;
    for (char c : origin.scheme) buffer[n++] = to_lower_ascii(c);
    buffer[n++] = ':';
    buffer[n++] = '/';
    buffer[n++] = '/';
    for (char c : origin.host) buffer[n++] = to_lower_ascii(c);
    if (origin.explicit_port && origin.port != default_port(origin.scheme)) {
        char digits[5];
        std::size_t d = 0;
        for (unsigned p = origin.port; p; p /= 10) digits[d++] = static_cast<char>('0' + p % 10);
        buffer[n++] = ':';
        while (d) buffer[n++] = digits[--d];
    }
    return std::string_view(buffer, n);
}

void origin_from_key(std::string_view key, Origin& out) noexcept {
    out = Origin{};
    const std::size_t sep = key.find("://");
    out.scheme = key.substr(0, sep);
    std::string_view authority = sep == std::string_view::npos ? std::string_view() : key.substr(sep + 3);
    std::size_t colon = std::string_view::npos;
    if (!authority.empty() && authority[0] == '[') {
        const std::size_t close = authority.find(']');
        if (close != std::string_view::npos && close + 1 < authority.size() && authority[close + 1] == ':')
            colon = close + 1;
    } else {
        colon = authority.find(':');
    }
    out.host = authority.substr(0, colon);
    out.port = default_port(out.scheme);
    if (colon != std::string_view::npos) {
        unsigned port = 0;
        for (char c : authority.substr(colon + 1)) port = port * 10 + static_cast<unsigned>(c - '0');
        out.port = static_cast<std::uint16_t>(port);
        out.explicit_port = true;
    }
}

std::string map_entry_key(std::string_view entry, char* buffer, std::string_view& key) {
    key = {};
    if (entry == "*") return "\"*\" is not an origin: a map lists exact origins";
    if (entry == "null") return "\"null\" cannot be listed in a map (use CORSAllowOrigin null)";
    if (entry.find('*') != std::string_view::npos) return "wildcards are not allowed in a map (exact origins only)";
    Origin origin;
    OriginError error = parse_origin(entry, origin);
    if (error != OriginError::None) return std::string("not a valid origin (scheme://host[:port]): ") + describe(error);
    if (origin.opaque) return "\"null\" cannot be listed in a map (use CORSAllowOrigin null)";
    key = origin_key(origin, buffer);
    if (key.empty()) return "not a valid origin (scheme://host[:port]): too long";
    return std::string();
}

std::string check_map_entry(std::string_view entry) {
    char buffer[kMaxOriginKeyLength];
    std::string_view key;
    return map_entry_key(entry, buffer, key);
}

namespace {

// Calls fn(line_no, entry) for each entry of a txt: map's text.
template <class Fn>
void for_each_entry(std::string_view text, Fn&& fn) {
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        const std::size_t hash = line.find('#');
        if (hash != std::string_view::npos) line = line.substr(0, hash);
        std::size_t a = 0;
        while (a < line.size() && is_space(line[a])) ++a;
        std::size_t b = a;
        while (b < line.size() && !is_space(line[b])) ++b;
        const std::string_view entry = line.substr(a, b - a);
        if (!entry.empty()) fn(line_no, entry);
    }
}

}  // namespace

ListCount parse_origin_keys(std::string_view text, const std::function<bool(std::string_view)>& add,
                            std::vector<ListProblem>& problems, std::size_t max_problems) {
    ListCount count;
    char buffer[kMaxOriginKeyLength];
    for_each_entry(text, [&](std::size_t line_no, std::string_view entry) {
        std::string_view key;
        std::string error = map_entry_key(entry, buffer, key);
        if (error.empty()) {
            if (add(key)) ++count.added;
            return;
        }
        ++count.skipped;
        if (problems.size() < max_problems) problems.push_back(ListProblem{line_no, shortened(entry), std::move(error)});
    });
    return count;
}

std::size_t parse_origin_list(std::string_view text, OriginRules& out, std::vector<ListProblem>& problems) {
    std::size_t added = 0;
    for_each_entry(text, [&](std::size_t line_no, std::string_view entry) {
        std::string error = check_map_entry(entry);
        if (error.empty()) error = out.add(entry);
        if (!error.empty()) {
            problems.push_back(ListProblem{line_no, shortened(entry), std::move(error)});
            return;
        }
        ++added;
    });
    return added;
}

}  // namespace cors

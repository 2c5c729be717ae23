// Origin maps (CORSOriginMap): lists of allowed origins kept outside httpd.conf.
// The parts that need no httpd: the txt: list parser, the normalised key of an
// origin, how the answers of a scope's maps rank, and the interface through
// which the decision asks the maps of a scope. No httpd or APR header here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "origin.hpp"
#include "rules.hpp"

namespace cors {

// What a map says about one valid, non-opaque origin.
enum class MapAnswer { Allowed, NotListed, Unavailable };

// The maps of a scope, as the decision sees them (CORSAllowOriginMap). Asked only
// about a valid origin that no CORSAllowOrigin rule and no pattern allowed.
class OriginOracle {
public:
    // Allowed when one map lists `origin`; Unavailable when none does and one could
    // not answer (its name in `unavailable`, a view that outlives the decision).
    virtual MapAnswer lookup(const Origin& origin, std::string_view& unavailable) const noexcept = 0;

    // The fast path of what browsers send: true when `text` is, byte for byte, an origin
    // that a map lists in its normalised form, known from memory alone (a txt:/dbm: set,
    // a cached dbd: answer), never by asking a database; then `out` is that origin, its
    // views into `text` or the map. Asking it is invisible: false means "ask lookup()".
    // `hash` is OriginRules::hash_of(text), computed once for every set asked.
    virtual bool lists_serialised(std::string_view text, std::size_t hash, Origin& out) const noexcept {
        return false;
    }

protected:
    ~OriginOracle() = default;
};

// Longest normalised key: "scheme://host:65535".
constexpr std::size_t kMaxOriginKeyLength = kMaxOriginLength + 8;

// The normalised text of a valid, non-opaque origin, as maps store it: scheme and
// host in lower case, the port only when it is not the scheme's default
// ("HTTPS://Partner.Example:443" -> "https://partner.example"). Written into
// `buffer` (kMaxOriginKeyLength bytes); empty when it does not fit.
std::string_view origin_key(const Origin& origin, char* buffer) noexcept;

// The origin of a key origin_key() made (no validation: `key` must be one); views into `key`.
void origin_from_key(std::string_view key, Origin& out) noexcept;

// One line of a list that is not a valid origin.
struct ListProblem {
    std::size_t line;     // 1-based
    std::string text;     // the offending text (shortened)
    std::string error;    // why
};

// How the answers of a scope's maps (CORSAllowOriginMap a b ...) make one answer: the
// maps are asked in order and the first that allows the origin decides (no later map
// is asked); otherwise, when one could not answer, the origin is Unavailable and the
// first such map is named in the reason; otherwise NotListed. A map that is not known
// counts as Unavailable (never as NotListed, never as allowed).
class MapAnswers {
public:
    // Adds the answer of map `name` (a view that outlives the decision). True when the
    // answer is decided (Allowed): ask no further map.
    bool add(MapAnswer answer, std::string_view name) noexcept {
        if (answer == MapAnswer::Allowed) {
            result_ = answer;
            unavailable_ = {};
            return true;
        }
        if (answer == MapAnswer::Unavailable && result_ != MapAnswer::Unavailable) {
            result_ = answer;
            unavailable_ = name;
        }
        return false;
    }
    MapAnswer result() const noexcept { return result_; }
    // The first map that could not answer (empty unless result() is Unavailable).
    std::string_view unavailable() const noexcept { return unavailable_; }

private:
    MapAnswer result_ = MapAnswer::NotListed;
    std::string_view unavailable_;
};

// The normalised key of one map entry, written into `buffer` (kMaxOriginKeyLength
// bytes) and viewed by `key`: empty string, or the error when `entry` is not an
// exact, valid, non-opaque origin (the checks of check_map_entry).
std::string map_entry_key(std::string_view entry, char* buffer, std::string_view& key);

// Parses the text of a txt: map: one serialised origin per line, '#' starts a
// comment, blank lines and surrounding white space ignored; anything after the
// origin on the same line (a RewriteMap value, as httxt2dbm needs one) ignored.
// Entries are exact origins, normalised as CORSAllowOrigin's; "*", "null",
// wildcards and malformed origins are skipped and reported in `problems`.
// Returns the number of origins added to `out`.
std::size_t parse_origin_list(std::string_view text, OriginRules& out, std::vector<ListProblem>& problems);

// The same into any set: `add(key)` receives each entry's normalised key (map_entry_key)
// and returns false when the key was listed before (it is then neither counted nor an
// error). `problems` keeps at most `max_problems` entries (all are counted in the
// returned `skipped`).
struct ListCount {
    std::size_t added = 0;
    std::size_t skipped = 0;
};
ListCount parse_origin_keys(std::string_view text, const std::function<bool(std::string_view)>& add,
                            std::vector<ListProblem>& problems, std::size_t max_problems);

// Checks one key (of a dbm: file, or one field of a line): empty string or the error.
std::string check_map_entry(std::string_view entry);

}  // namespace cors

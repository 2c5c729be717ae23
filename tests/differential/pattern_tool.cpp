// cors-pattern-tool: the engine's side of the differential test against PHP's preg_match().
//
//   cors-pattern-tool PATTERNS_FILE ORIGINS_FILE
//
// Both files hold one entry per line, raw bytes, no escaping (entries contain no
// newline; a final newline ends the last entry, it does not start an empty one).
// Entries are numbered from 1 (their line numbers). Output, one line each:
//
//   -  O  I        origin O is not a valid serialised origin (cors::parse_origin): skipped
//   P  -  E  msg   pattern P does not compile (cors::Pattern::compile's error text)
//   P  O  V [why]  pattern P against valid origin O: V = 1 match, 0 no match;
//                  a limit or an error is 0 with "limit" or "error" as a fourth field
//
// Fields are separated by one TAB. tests/differential/preg.php prints the same lines
// from PHP; tests/differential/run.sh compares the two.

#include "origin.hpp"
#include "pattern.hpp"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace {

bool read_entries(const char* path, std::vector<std::string>& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return false;
    std::string::size_type start = 0;
    while (start < all.size()) {
        auto nl = all.find('\n', start);
        if (nl == std::string::npos) {
            out.push_back(all.substr(start));
            break;
        }
        out.push_back(all.substr(start, nl - start));
        start = nl + 1;
    }
    return true;
}

// Keeps a message on one output line.
std::string one_line(const std::string& s) {
    std::string r;
    for (char c : s) r += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s PATTERNS_FILE ORIGINS_FILE\n", argv[0]);
        return 2;
    }
    std::vector<std::string> patterns, origins;
    if (!read_entries(argv[1], patterns)) {
        std::fprintf(stderr, "cors-pattern-tool: cannot read %s\n", argv[1]);
        return 2;
    }
    if (!read_entries(argv[2], origins)) {
        std::fprintf(stderr, "cors-pattern-tool: cannot read %s\n", argv[2]);
        return 2;
    }

    std::string out;
    std::vector<std::size_t> valid;  // 0-based indexes of valid origins
    for (std::size_t o = 0; o < origins.size(); ++o) {
        cors::Origin parsed;
        if (cors::parse_origin(origins[o], parsed) == cors::OriginError::None) {
            valid.push_back(o);
        } else {
            out += "-\t" + std::to_string(o + 1) + "\tI\n";
        }
    }

    for (std::size_t p = 0; p < patterns.size(); ++p) {
        std::string error;
        std::unique_ptr<cors::Pattern> re = cors::Pattern::compile(patterns[p], error);
        if (!re) {
            out += std::to_string(p + 1) + "\t-\tE\t" + one_line(error) + "\n";
            continue;
        }
        for (std::size_t o : valid) {
            out += std::to_string(p + 1) + "\t" + std::to_string(o + 1) + "\t";
            switch (re->match(origins[o])) {
                case cors::MatchResult::Match: out += "1\n"; break;
                case cors::MatchResult::NoMatch: out += "0\n"; break;
                case cors::MatchResult::LimitExceeded: out += "0\tlimit\n"; break;
                case cors::MatchResult::Error: out += "0\terror\n"; break;
            }
        }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
}

// Helpers shared by the unit tests.
#pragma once

#include <cstddef>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "origin.hpp"

namespace test_support {

// Heap allocations through operator new on this thread while `counting`.
extern thread_local bool counting;
extern thread_local std::size_t allocations;

struct AllocationCounter {
    AllocationCounter() { allocations = 0; counting = true; }
    ~AllocationCounter() { counting = false; }
    std::size_t count() const { return allocations; }
};

// Parses an origin that the test knows to be valid; `text` must outlive it.
inline cors::Origin origin_of(std::string_view text) {
    cors::Origin o;
    cors::OriginError e = cors::parse_origin(text, o);
    if (e != cors::OriginError::None)
        throw std::runtime_error("test bug: invalid origin " + std::string(text));
    return o;
}

inline std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return s;
}

inline bool contains_ci(std::string_view hay, std::string_view needle) {
    return lower(std::string(hay)).find(lower(std::string(needle))) != std::string::npos;
}

}  // namespace test_support

namespace cors {
inline std::ostream& operator<<(std::ostream& os, OriginError e) {
    return os << "OriginError(" << static_cast<int>(e) << ")";
}
}  // namespace cors

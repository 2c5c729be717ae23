// The one translation unit that defines the test module, plus a global
// operator new (every form: malloc) that counts allocations (to check "decide() never allocates").
#define BOOST_TEST_MODULE mod_cors_engine
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <new>

#include "test_support.hpp"

namespace test_support {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;
}  // namespace test_support

void* operator new(std::size_t size) {
    if (test_support::counting) ++test_support::allocations;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
// The nothrow forms too (std::stable_sort's temporary buffer uses them): every form of new
// here is malloc, so that every form of delete may be free.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    if (test_support::counting) ++test_support::allocations;
    return std::malloc(size ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return ::operator new(size, tag); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

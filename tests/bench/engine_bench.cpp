// Engine micro-benchmarks: cors::decide() (classification included) on the
// request shapes the module meets, with Google Benchmark.
//
// Heap allocations are counted by interposing the C allocator (malloc, calloc,
// realloc, the aligned forms) in this executable: libstdc++'s operator new and
// PCRE2's default allocator both end up there, so every heap allocation the
// engine makes, its own or PCRE2's, is counted. operator new is replaced as
// well (on top of malloc) to tell C++ allocations from C ones.
//
// Each benchmark reports, besides the time:
//   allocs_per_op  heap allocations (malloc family) per decision, exact: counted
//                  over kCountedCalls decisions made outside the timed loop
//   news_per_op    of which through operator new
//   first_call_allocs  heap allocations of the scenario's first decision (lazy
//                  per-thread state such as PCRE2's JIT stack shows up here once)
// and checks, before timing, that the decision is the expected one (a benchmark
// of a wrong answer is worthless): a mismatch makes the program exit 2.
//
// One cors::Decision is reused across the loop, as the glue keeps one on its stack.

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "decision.hpp"

// ------------------------------------------------------------ counting allocator

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {
std::atomic<unsigned long long> g_mallocs{0};
std::atomic<unsigned long long> g_news{0};
inline void count_malloc() noexcept { g_mallocs.fetch_add(1, std::memory_order_relaxed); }
inline void count_new() noexcept { g_news.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

extern "C" {
__attribute__((visibility("default"))) void* malloc(std::size_t n) {
    count_malloc();
    return __libc_malloc(n);
}
__attribute__((visibility("default"))) void* calloc(std::size_t n, std::size_t size) {
    count_malloc();
    return __libc_calloc(n, size);
}
__attribute__((visibility("default"))) void* realloc(void* p, std::size_t n) {
    count_malloc();
    return __libc_realloc(p, n);
}
__attribute__((visibility("default"))) void* memalign(std::size_t align, std::size_t n) {
    count_malloc();
    return __libc_memalign(align, n);
}
__attribute__((visibility("default"))) void* aligned_alloc(std::size_t align, std::size_t n) {
    count_malloc();
    return __libc_memalign(align, n);
}
__attribute__((visibility("default"))) int posix_memalign(void** out, std::size_t align, std::size_t n) {
    count_malloc();
    void* p = __libc_memalign(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
}

void* operator new(std::size_t n) {
    count_new();
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    count_new();
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void* operator new(std::size_t n, std::align_val_t a) {
    count_new();
    if (void* p = memalign(static_cast<std::size_t>(a), n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

// ------------------------------------------------------------------ scenarios

namespace {

constexpr int kCountedCalls = 1000;
constexpr const char* kPartner = "https://app.partner.example";

// A policy, the objects it points to and the request: built in place, never moved
// (the request's views point into origin_text).
struct Scenario {
    Scenario() = default;
    Scenario(const Scenario&) = delete;
    Scenario& operator=(const Scenario&) = delete;

    std::unique_ptr<cors::OriginRules> origins;
    std::unique_ptr<cors::PatternList> patterns;
    std::unique_ptr<cors::NameList> methods;
    std::unique_ptr<cors::NameList> allow_headers;
    cors::Policy policy;
    cors::Request request;
    std::string origin_text;  // what request.origin views
    bool expect_allowed = true;
    cors::Action expect_action = cors::Action::Continue;
    bool expect_jit = false;
    double first_call_allocs = 0;  // heap allocations of the scenario's first decision
    bool checked = false;
};

void die(const std::string& what) {
    std::fprintf(stderr, "engine_bench: %s\n", what.c_str());
    std::exit(2);
}

void add_origin(Scenario& s, const std::string& spec) {
    if (!s.origins) s.origins = std::make_unique<cors::OriginRules>();
    std::string error = s.origins->add(spec);
    if (!error.empty()) die("CORSAllowOrigin " + spec + ": " + error);
}

void add_pattern(Scenario& s, const std::string& text) {
    if (!s.patterns) s.patterns = std::make_unique<cors::PatternList>();
    std::string error = s.patterns->add(text);
    if (!error.empty()) die("CORSAllowOriginMatch " + text + ": " + error);
}

void finish(Scenario& s, const std::string& origin) {
    s.origin_text = origin;
    s.policy.origins = s.origins.get();
    s.policy.patterns = s.patterns.get();
    s.policy.methods = s.methods.get();
    s.policy.allow_headers = s.allow_headers.get();
    s.request.method = "GET";
    s.request.has_origin = true;
    s.request.origin = s.origin_text;
    s.request.origin_count = 1;
    s.request.scheme = "https";
    s.request.host = "api.example.org";
}

// An actual GET from `origin` against `n` exact origins, the partner among them.
void exact_origins(Scenario& s, int n, const std::string& origin, bool allowed) {
    for (int i = 0; i < n - 1; ++i) add_origin(s, "https://app" + std::to_string(i) + ".partner.example");
    add_origin(s, kPartner);
    finish(s, origin);
    s.expect_allowed = allowed;
    s.expect_action = allowed ? cors::Action::Continue : cors::Action::Reject;
}

// A preflight for PUT with three requested headers.
void preflight(Scenario& s) {
    add_origin(s, kPartner);
    s.methods = std::make_unique<cors::NameList>(cors::NameList::Kind::Method);
    for (const char* m : {"GET", "POST", "PUT", "DELETE"}) s.methods->add(m);
    s.allow_headers = std::make_unique<cors::NameList>(cors::NameList::Kind::Header);
    for (const char* h : {"Content-Type", "X-Requested-With", "Authorization"}) s.allow_headers->add(h);
    s.policy.max_age = 600;
    finish(s, kPartner);
    s.request.method = "OPTIONS";
    s.request.has_acrm = true;
    s.request.acrm = "PUT";
    s.request.acrh = "content-type, x-requested-with, authorization";
    s.expect_action = cors::Action::AnswerPreflight;
}

void subdomain_wildcard(Scenario& s) {
    add_origin(s, "https://*.partner.example");
    finish(s, "https://eu.app.partner.example");
}

// The seed's PHP test, preg_match('@\.partner\.domain\.com$@', $_SERVER['HTTP_ORIGIN']).
void php_pattern(Scenario& s) {
    add_pattern(s, "@\\.partner\\.example$@");
    finish(s, kPartner);
    s.expect_jit = true;
}

// `n` patterns of the seed's shape, one per partner; only the last one matches,
// so every pattern is tried.
void many_patterns(Scenario& s, int n) {
    for (int i = 0; i < n; ++i) add_pattern(s, "@\\.partner-" + std::to_string(i) + "\\.example$@");
    finish(s, "https://app.partner-" + std::to_string(n - 1) + ".example");
    s.expect_jit = true;
}

void check(Scenario& s, const char* name) {
    cors::Decision d;
    const unsigned long long m0 = g_mallocs.load();
    cors::decide(s.policy, s.request, d);
    if (!s.checked) s.first_call_allocs = double(g_mallocs.load() - m0);
    s.checked = true;
    if (d.allowed != s.expect_allowed || d.action != s.expect_action)
        die(std::string(name) + ": unexpected decision (allowed=" + std::to_string(d.allowed) +
            ", action=" + std::to_string(static_cast<int>(d.action)) + ", reason='" + cors::reason_text(d) + "')");
    if (s.expect_allowed && d.allow_origin != s.origin_text)
        die(std::string(name) + ": unexpected Access-Control-Allow-Origin");
    if (s.expect_jit)
        for (const auto& p : s.patterns->patterns())
            if (!p->jit()) die(std::string(name) + ": pattern not JIT-compiled: " + p->source());
}

void run(benchmark::State& state, Scenario* s, const char* name) {
    check(*s, name);
    cors::Decision d;
    // Exact allocation count, outside the timed loop (the first call is a warm-up).
    cors::decide(s->policy, s->request, d);
    const unsigned long long m0 = g_mallocs.load(), n0 = g_news.load();
    for (int i = 0; i < kCountedCalls; ++i) {
        cors::decide(s->policy, s->request, d);
        benchmark::DoNotOptimize(d);
    }
    const double mallocs = double(g_mallocs.load() - m0) / kCountedCalls;
    const double news = double(g_news.load() - n0) / kCountedCalls;

    for (auto _ : state) {
        cors::decide(s->policy, s->request, d);
        benchmark::DoNotOptimize(d.allow_origin);
        benchmark::ClobberMemory();
    }
    state.counters["allocs_per_op"] = mallocs;
    state.counters["news_per_op"] = news;
    state.counters["first_call_allocs"] = s->first_call_allocs;
}

// Checks that the interposed allocator sees C++ and PCRE2 allocations alike.
void check_counting() {
    const unsigned long long m0 = g_mallocs.load(), n0 = g_news.load();
    void* volatile p = std::malloc(24);
    std::free(p);
    auto* q = new std::string(100, 'x');
    delete q;
    if (g_mallocs.load() - m0 < 2 || g_news.load() - n0 < 1) die("the allocation counters do not count");
    const unsigned long long m1 = g_mallocs.load(), n1 = g_news.load();
    cors::PatternList list;
    if (!list.add("@\\.partner\\.example$@").empty()) die("pattern does not compile");
    if (g_mallocs.load() - m1 <= g_news.load() - n1) die("PCRE2's mallocs are not counted");
}

}  // namespace

int main(int argc, char** argv) {
    check_counting();
    // Scenarios, in report order, built on demand (before any timing).
    static const std::vector<std::pair<std::string, void (*)(Scenario&)>> builders = {
        {"actual_allowed/origins:1", [](Scenario& s) { exact_origins(s, 1, kPartner, true); }},
        {"actual_allowed/origins:100", [](Scenario& s) { exact_origins(s, 100, kPartner, true); }},
        {"actual_allowed/origins:10000", [](Scenario& s) { exact_origins(s, 10000, kPartner, true); }},
        {"actual_rejected/origins:1", [](Scenario& s) { exact_origins(s, 1, "https://evil.example", false); }},
        {"actual_rejected/origins:10000",
         [](Scenario& s) { exact_origins(s, 10000, "https://evil.example", false); }},
        {"preflight_allowed/headers:3", preflight},
        {"subdomain_wildcard", subdomain_wildcard},
        {"php_pattern_jit", php_pattern},
        {"patterns/n:1", [](Scenario& s) { many_patterns(s, 1); }},
        {"patterns/n:10", [](Scenario& s) { many_patterns(s, 10); }},
        {"patterns/n:100", [](Scenario& s) { many_patterns(s, 100); }},
    };

    // --list: the scenario names.
    if (argc == 2 && std::string(argv[1]) == "--list") {
        for (const auto& b : builders) std::printf("%s\n", b.first.c_str());
        return 0;
    }
    // --profile NAME N: N decisions of one scenario and nothing else (for callgrind,
    // with --toggle-collect='cors::decide(*').
    if (argc == 4 && std::string(argv[1]) == "--profile") {
        for (const auto& b : builders) {
            if (b.first != argv[2]) continue;
            Scenario scenario;
            b.second(scenario);
            check(scenario, argv[2]);
            cors::Decision d;
            const long n = std::atol(argv[3]);
            for (long i = 0; i < n; ++i) {
                cors::decide(scenario.policy, scenario.request, d);
                benchmark::DoNotOptimize(d.allow_origin);
            }
            return 0;
        }
        die(std::string("no scenario ") + argv[2]);
    }

    static std::vector<std::unique_ptr<Scenario>> scenarios;
    for (const auto& b : builders) {
        scenarios.push_back(std::make_unique<Scenario>());
        b.second(*scenarios.back());
        benchmark::RegisterBenchmark(b.first.c_str(), run, scenarios.back().get(), b.first.c_str());
    }

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

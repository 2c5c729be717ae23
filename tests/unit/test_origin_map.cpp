// Origin maps without httpd (origin_map.hpp, contract.md "Origin maps"): the txt:
// parser, the normalised key, the answer cache with its clock injected, the log
// throttle, and how the decision asks a map.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "decision.hpp"
#include "origin_map.hpp"
#include "answer_cache.hpp"
#include "test_support.hpp"

using cors::AnswerCache;
using cors::MapAnswer;
using cors::OriginRules;
using test_support::origin_of;

namespace {

struct Parsed {
    OriginRules rules;
    std::vector<cors::ListProblem> problems;
    std::size_t added;
    explicit Parsed(std::string_view text) : added(cors::parse_origin_list(text, rules, problems)) {}
    bool allows(std::string_view origin) const { return rules.allows(origin_of(origin)); }
};

std::string key_of(std::string_view text) {
    char buffer[cors::kMaxOriginKeyLength];
    return std::string(cors::origin_key(origin_of(text), buffer));
}

// A clock the test moves by hand.
struct FakeClock {
    std::shared_ptr<std::int64_t> now = std::make_shared<std::int64_t>(1000);
    cors::Clock clock() const {
        auto n = now;
        return [n] { return *n; };
    }
    void advance(std::int64_t ms) { *now += ms; }
};

// An oracle with a fixed answer that counts the questions it is asked.
struct FixedOracle final : cors::OriginOracle {
    MapAnswer answer;
    mutable int asked = 0;
    explicit FixedOracle(MapAnswer a) : answer(a) {}
    MapAnswer lookup(const cors::Origin&, std::string_view& unavailable) const noexcept override {
        ++asked;
        if (answer == MapAnswer::Unavailable) unavailable = "tenants";
        return answer;
    }
};

cors::Request actual(std::string_view origin) {
    cors::Request q;
    q.method = "GET";
    q.has_origin = true;
    q.origin = origin;
    q.origin_count = 1;
    q.scheme = "https";
    q.host = "app.example";
    return q;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(origin_map_txt)

BOOST_AUTO_TEST_CASE(one_origin_per_line_with_comments_and_blanks) {
    Parsed p("# partners\n"
             "https://a.example\n"
             "\n"
             "   https://b.example:8443   # since 2025\n"
             "\t\n"
             "http://c.example\r\n");
    BOOST_TEST(p.added == 3u);
    BOOST_TEST(p.problems.empty());
    BOOST_TEST(p.allows("https://a.example"));
    BOOST_TEST(p.allows("https://b.example:8443"));
    BOOST_TEST(p.allows("http://c.example"));
    BOOST_TEST(!p.allows("https://b.example"));
    BOOST_TEST(!p.allows("https://c.example"));
    BOOST_TEST(!p.allows("https://d.example"));
}

BOOST_AUTO_TEST_CASE(normalised_like_cors_allow_origin) {
    Parsed p("HTTPS://Upper.Example\nhttps://port.example:443\nhttp://eighty.example:80\n");
    BOOST_TEST(p.added == 3u);
    BOOST_TEST(p.allows("https://upper.example"));
    BOOST_TEST(p.allows("https://UPPER.example:443"));
    BOOST_TEST(p.allows("https://port.example"));
    BOOST_TEST(p.allows("http://eighty.example"));
    BOOST_TEST(!p.allows("http://upper.example"));
}

BOOST_AUTO_TEST_CASE(a_rewritemap_value_after_the_origin_is_ignored) {
    // httxt2dbm skips lines without a value: the same file feeds txt: and dbm:.
    Parsed p("https://a.example 1\nhttps://b.example\tcustomer-42\n");
    BOOST_TEST(p.added == 2u);
    BOOST_TEST(p.allows("https://a.example"));
    BOOST_TEST(p.allows("https://b.example"));
}

BOOST_AUTO_TEST_CASE(invalid_lines_are_reported_with_their_line_numbers) {
    Parsed p("https://ok.example\n"
             "https://bad.example/\n"        // 2: path
             "partner.example\n"             // 3: no scheme
             "*\n"                           // 4
             "null\n"                        // 5
             "https://*.wild.example\n"      // 6
             "https://user@x.example\n"      // 7
             "https://x.example:99999\n"     // 8
             "https://also-ok.example\n");
    BOOST_TEST(p.added == 2u);
    BOOST_REQUIRE(p.problems.size() == 7u);
    std::vector<std::size_t> lines;
    for (const auto& problem : p.problems) lines.push_back(problem.line);
    BOOST_TEST(lines == (std::vector<std::size_t>{2, 3, 4, 5, 6, 7, 8}), boost::test_tools::per_element());
    BOOST_TEST(p.problems[0].text == "https://bad.example/");
    BOOST_TEST(!p.problems[0].error.empty());
    BOOST_TEST(!p.allows("null"));
    BOOST_TEST(!p.allows("https://a.wild.example"));
    BOOST_TEST(p.allows("https://also-ok.example"));
}

BOOST_AUTO_TEST_CASE(empty_text_and_last_line_without_newline) {
    Parsed empty("");
    BOOST_TEST(empty.added == 0u);
    Parsed last("https://a.example\nhttps://b.example");
    BOOST_TEST(last.added == 2u);
    BOOST_TEST(last.allows("https://b.example"));
}

BOOST_AUTO_TEST_CASE(a_large_list_is_hashed) {
    std::string text;
    for (int i = 0; i < 100000; ++i) text += "https://tenant" + std::to_string(i) + ".example\n";
    Parsed p(text);
    BOOST_TEST(p.added == 100000u);
    BOOST_TEST(p.allows("https://tenant0.example"));
    BOOST_TEST(p.allows("https://tenant99999.example"));
    BOOST_TEST(!p.allows("https://tenant100000.example"));
}

BOOST_AUTO_TEST_CASE(origin_key_is_the_normalised_serialisation) {
    BOOST_TEST(key_of("HTTPS://Partner.Example:443") == "https://partner.example");
    BOOST_TEST(key_of("https://partner.example:8443") == "https://partner.example:8443");
    BOOST_TEST(key_of("http://partner.example:443") == "http://partner.example:443");
    BOOST_TEST(key_of("http://[::1]:8080") == "http://[::1]:8080");
    BOOST_TEST(key_of("http://x.example:1") == "http://x.example:1");
    BOOST_TEST(key_of("http://x.example:65535") == "http://x.example:65535");
}

BOOST_AUTO_TEST_CASE(origin_from_key_inverts_origin_key) {
    for (std::string_view key : {"https://a.example", "https://a.example:8443", "http://a.example:443",
                                 "http://[::1]:8080", "http://[::1]", "wss://x.example:1"}) {
        cors::Origin o;
        cors::origin_from_key(key, o);
        cors::Origin parsed = origin_of(key);
        BOOST_TEST(o.scheme == parsed.scheme);
        BOOST_TEST(o.host == parsed.host);
        BOOST_TEST(o.port == parsed.port);
        BOOST_TEST(o.explicit_port == parsed.explicit_port);
        char buffer[cors::kMaxOriginKeyLength];
        BOOST_TEST(cors::origin_key(o, buffer) == key);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(origin_map_cache)

BOOST_AUTO_TEST_CASE(keeps_yes_and_no_answers_until_they_expire) {
    FakeClock t;
    AnswerCache cache(100, 60000, t.clock(), 1);
    BOOST_TEST((cache.get("https://a.example") == AnswerCache::Hit::Miss));
    cache.put("https://a.example", true);
    cache.put("https://b.example", false);
    BOOST_TEST((cache.get("https://a.example") == AnswerCache::Hit::Allowed));
    BOOST_TEST((cache.get("https://b.example") == AnswerCache::Hit::NotListed));
    t.advance(59999);
    BOOST_TEST((cache.get("https://a.example") == AnswerCache::Hit::Allowed));
    t.advance(1);
    BOOST_TEST((cache.get("https://a.example") == AnswerCache::Hit::Miss));
    BOOST_TEST((cache.get("https://b.example") == AnswerCache::Hit::Miss));
    BOOST_TEST(cache.size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_new_answer_replaces_the_old_one) {
    FakeClock t;
    AnswerCache cache(10, 1000, t.clock(), 1);
    cache.put("https://a.example", true);
    t.advance(900);
    cache.put("https://a.example", false);
    t.advance(900);
    BOOST_TEST((cache.get("https://a.example") == AnswerCache::Hit::NotListed));
    BOOST_TEST(cache.size() == 1u);
}

BOOST_AUTO_TEST_CASE(clear_forgets_every_answer_and_takes_a_new_id) {
    FakeClock t;
    AnswerCache cache(100, 60000, t.clock(), 4);
    cache.put("https://a.example", true);
    cache.put("https://b.example", false);
    const auto before = cache.id();
    cache.clear();
    BOOST_TEST(cache.size() == 0u);
    BOOST_TEST((cache.get("https://a.example") == AnswerCache::Hit::Miss));
    BOOST_TEST((cache.get("https://b.example") == AnswerCache::Hit::Miss));
    BOOST_TEST(cache.id() != before);
    cache.put("https://a.example", false);
    BOOST_TEST((cache.get("https://a.example") == AnswerCache::Hit::NotListed));
}

BOOST_AUTO_TEST_CASE(bounded_least_recently_used_out) {
    FakeClock t;
    AnswerCache cache(3, 60000, t.clock(), 1);
    cache.put("a", true);
    cache.put("b", true);
    cache.put("c", true);
    BOOST_TEST((cache.get("a") == AnswerCache::Hit::Allowed));  // a is now the most recent
    cache.put("d", false);                                      // b goes
    BOOST_TEST(cache.size() == 3u);
    BOOST_TEST((cache.get("b") == AnswerCache::Hit::Miss));
    BOOST_TEST((cache.get("a") == AnswerCache::Hit::Allowed));
    BOOST_TEST((cache.get("c") == AnswerCache::Hit::Allowed));
    BOOST_TEST((cache.get("d") == AnswerCache::Hit::NotListed));
}

BOOST_AUTO_TEST_CASE(size_stays_bounded_under_many_keys) {
    FakeClock t;
    AnswerCache cache(1000, 60000, t.clock());
    for (int i = 0; i < 50000; ++i) cache.put("https://o" + std::to_string(i) + ".example", i % 2 == 0);
    BOOST_TEST(cache.size() <= 1000u + 8u);
    BOOST_TEST((cache.get("https://o49999.example") == AnswerCache::Hit::NotListed));
}

BOOST_AUTO_TEST_CASE(ttl_zero_stores_nothing) {
    FakeClock t;
    AnswerCache cache(10, 0, t.clock());
    cache.put("a", true);
    BOOST_TEST((cache.get("a") == AnswerCache::Hit::Miss));
    BOOST_TEST(cache.size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_clock_going_backwards_expires_the_entry) {
    FakeClock t;
    AnswerCache cache(10, 1000, t.clock(), 1);
    cache.put("a", true);
    t.advance(-5);
    BOOST_TEST((cache.get("a") == AnswerCache::Hit::Miss));
}

BOOST_AUTO_TEST_CASE(threads_share_it_safely) {
    AnswerCache cache(64, 60000);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&cache, &wrong, t] {
            for (int i = 0; i < 20000; ++i) {
                std::string key = "k" + std::to_string((i * 7 + t) % 200);
                const bool expected = ((i * 7 + t) % 200) % 3 == 0;
                AnswerCache::Hit h = cache.get(key);
                if (h == AnswerCache::Hit::Miss) cache.put(key, expected);
                else if ((h == AnswerCache::Hit::Allowed) != expected) ++wrong;
            }
        });
    for (auto& th : threads) th.join();
    BOOST_TEST(wrong.load() == 0);
    BOOST_TEST(cache.size() <= 64u + 8u);
}

BOOST_AUTO_TEST_CASE(log_throttle_once_per_interval) {
    cors::LogThrottle throttle(1000);
    BOOST_TEST(throttle.allow(5000));
    BOOST_TEST(!throttle.allow(5001));
    BOOST_TEST(!throttle.allow(5999));
    BOOST_TEST(throttle.allow(6000));
    BOOST_TEST(!throttle.allow(6500));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(origin_map_decision)

BOOST_AUTO_TEST_CASE(map_allows_what_no_static_rule_allows) {
    OriginRules rules;
    BOOST_REQUIRE(rules.add("https://static.example").empty());
    FixedOracle yes(MapAnswer::Allowed);
    cors::Policy policy;
    policy.origins = &rules;
    policy.maps = &yes;
    cors::Decision d;
    cors::decide(policy, actual("https://static.example"), d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(yes.asked == 0);  // a static rule allowed it: the map is not asked
    cors::decide(policy, actual("https://tenant.example"), d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_origin == "https://tenant.example");
    BOOST_TEST(yes.asked == 1);
}

// A map that knows its origins from memory, like a txt: set.
struct SetOracle final : cors::OriginOracle {
    OriginRules rules;
    mutable int asked = 0;
    MapAnswer lookup(const cors::Origin& o, std::string_view&) const noexcept override {
        ++asked;
        return rules.allows(o) ? MapAnswer::Allowed : MapAnswer::NotListed;
    }
    bool lists_serialised(std::string_view text, std::size_t hash, cors::Origin& out) const noexcept override {
        return rules.find_serialised(text, hash, out);
    }
};

BOOST_AUTO_TEST_CASE(what_browsers_send_takes_the_fast_path_and_the_rest_the_lookup) {
    SetOracle maps;
    BOOST_REQUIRE(maps.rules.add("https://tenant.example").empty());
    cors::Policy policy;
    policy.maps = &maps;
    cors::Decision d;
    cors::decide(policy, actual("https://tenant.example"), d);
    BOOST_TEST(d.allowed);
    BOOST_TEST(maps.asked == 0);
    cors::decide(policy, actual("HTTPS://Tenant.Example:443"), d);  // not byte for byte: parsed, then asked
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.allow_origin == "HTTPS://Tenant.Example:443");
    BOOST_TEST(maps.asked == 1);
    cors::decide(policy, actual("https://other.example"), d);
    BOOST_TEST(!d.allowed);
    cors::Request same = actual("https://tenant.example");
    same.host = "tenant.example";
    cors::decide(policy, same, d);
    BOOST_TEST((d.kind == cors::RequestKind::SameOrigin));
}

BOOST_AUTO_TEST_CASE(invalid_and_opaque_origins_never_reach_a_map) {
    FixedOracle yes(MapAnswer::Allowed);
    cors::Policy policy;
    policy.maps = &yes;
    cors::Decision d;
    cors::decide(policy, actual("https://tenant.example/"), d);
    BOOST_TEST(!d.allowed);
    cors::decide(policy, actual("null"), d);
    BOOST_TEST(!d.allowed);
    cors::decide(policy, actual("https://user@tenant.example"), d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(yes.asked == 0);
}

BOOST_AUTO_TEST_CASE(not_listed_and_unavailable_refuse_with_their_reasons) {
    FixedOracle no(MapAnswer::NotListed);
    FixedOracle down(MapAnswer::Unavailable);
    cors::Policy policy;
    cors::Decision d;
    policy.maps = &no;
    cors::decide(policy, actual("https://tenant.example"), d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST((d.reason == cors::Reason::OriginNotAllowed));
    policy.maps = &down;
    cors::decide(policy, actual("https://tenant.example"), d);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.allow_origin.empty());
    BOOST_TEST((d.reason == cors::Reason::MapUnavailable));
    BOOST_TEST(cors::reason_text(d) == "origin map unavailable: tenants");
    BOOST_TEST(d.reason_detail == "tenants");
}

BOOST_AUTO_TEST_SUITE_END()

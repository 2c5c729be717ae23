// The origin maps' plumbing beside the engine (mod_cors/maps/): the compact set of a
// txt:/dbm: map, its publication to readers that never wait, and how the answers of a
// scope's maps rank (engine/origin_map.hpp, MapAnswers).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "origin_map.hpp"
#include "origin_set.hpp"
#include "rules.hpp"

using cors::MapAnswer;
using cors::MapAnswers;
using cors::OriginSet;

namespace {

std::unique_ptr<const OriginSet> set_of(std::string_view text, cors::ListCount* count = nullptr) {
    OriginSet::Builder b(1, text.size());  // sized small: the table and arena must grow
    std::vector<cors::ListProblem> problems;
    cors::ListCount c = cors::parse_origin_keys(text, [&b](std::string_view k) { return b.add(k); }, problems, 5);
    if (count) *count = c;
    return b.finish();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(origin_set)

BOOST_AUTO_TEST_CASE(holds_the_normalised_keys_once) {
    cors::ListCount count;
    auto set = set_of("https://a.example\nHTTPS://A.example:443\nhttp://b.example:8080 1\n# c\nnot-an-origin\n*\n",
                      &count);
    BOOST_TEST(count.added == 2u);
    BOOST_TEST(count.skipped == 2u);
    BOOST_TEST(set->size() == 2u);
    BOOST_TEST(set->contains("https://a.example"));
    BOOST_TEST(set->contains("http://b.example:8080"));
    BOOST_TEST(!set->contains("http://b.example"));
    BOOST_TEST(!set->contains("https://A.example"));  // keys only: the caller normalises
    BOOST_TEST(!set->contains(""));
}

BOOST_AUTO_TEST_CASE(a_hundred_thousand_keys_all_found_none_invented) {
    std::string text;
    for (int i = 0; i < 100000; ++i) text += "https://o" + std::to_string(i) + ".example\n";
    auto set = set_of(text);
    BOOST_TEST(set->size() == 100000u);
    int missing = 0, invented = 0;
    for (int i = 0; i < 100000; ++i) missing += !set->contains("https://o" + std::to_string(i) + ".example");
    for (int i = 100000; i < 120000; ++i) invented += set->contains("https://o" + std::to_string(i) + ".example");
    BOOST_TEST(missing == 0);
    BOOST_TEST(invented == 0);
    // strings once plus a table of 4-byte offsets: well under 64 bytes per origin
    BOOST_TEST(set->bytes() / set->size() <= 40u);
}

BOOST_AUTO_TEST_CASE(empty_set_answers_no) {
    auto set = set_of("# nothing\n");
    BOOST_TEST(set->size() == 0u);
    BOOST_TEST(!set->contains("https://a.example"));
}

BOOST_AUTO_TEST_CASE(published_sets_are_read_while_replaced) {
    // Readers ask all the time while a writer publishes 200 sets; each set lists
    // "https://always.example" and never "https://never.example".
    cors::PublishedSet published;
    published.publish(set_of("https://always.example\n"));
    std::atomic<bool> done{false};
    std::atomic<long> wrong{0}, asked{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t)
        readers.emplace_back([&] {
            while (!done.load()) {
                const cors::PublishedSet::Reader read(published);
                const OriginSet* s = read.get();
                if (!s || !s->contains("https://always.example") || s->contains("https://never.example")) ++wrong;
                ++asked;
            }
        });
    for (int i = 0; i < 200; ++i)
        published.publish(set_of("https://always.example\nhttps://v" + std::to_string(i) + ".example\n"));
    done = true;
    for (auto& r : readers) r.join();
    BOOST_TEST(wrong.load() == 0);
    BOOST_TEST(asked.load() > 0);
    const cors::PublishedSet::Reader read(published);
    BOOST_TEST(read.get()->contains("https://v199.example"));
    BOOST_TEST(!read.get()->contains("https://v198.example"));
}

BOOST_AUTO_TEST_CASE(nothing_published_reads_null) {
    cors::PublishedSet published;
    const cors::PublishedSet::Reader read(published);
    BOOST_TEST(read.get() == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

// How a scope's maps make one answer (CORSAllowOriginMap a b c).
BOOST_AUTO_TEST_SUITE(map_answers)

struct Case {
    std::vector<MapAnswer> answers;
    MapAnswer result;
    std::string unavailable;
    std::size_t asked;  // maps asked before the answer was decided
};

const Case kCases[] = {
    {{}, MapAnswer::NotListed, "", 0},
    {{MapAnswer::NotListed}, MapAnswer::NotListed, "", 1},
    {{MapAnswer::Allowed}, MapAnswer::Allowed, "", 1},
    {{MapAnswer::Unavailable}, MapAnswer::Unavailable, "m0", 1},
    {{MapAnswer::NotListed, MapAnswer::Allowed, MapAnswer::Unavailable}, MapAnswer::Allowed, "", 2},
    {{MapAnswer::Unavailable, MapAnswer::Allowed}, MapAnswer::Allowed, "", 2},   // another map allows
    {{MapAnswer::NotListed, MapAnswer::Unavailable}, MapAnswer::Unavailable, "m1", 2},
    {{MapAnswer::Unavailable, MapAnswer::NotListed}, MapAnswer::Unavailable, "m0", 2},  // never "not listed"
    {{MapAnswer::NotListed, MapAnswer::Unavailable, MapAnswer::Unavailable}, MapAnswer::Unavailable, "m1", 3},
};

BOOST_AUTO_TEST_CASE(first_allowed_wins_else_the_first_unavailable_is_named) {
    const std::string names[] = {"m0", "m1", "m2"};
    for (const Case& c : kCases) {
        MapAnswers answers;
        std::size_t asked = 0;
        for (std::size_t i = 0; i < c.answers.size(); ++i) {
            ++asked;
            if (answers.add(c.answers[i], names[i])) break;
        }
        BOOST_TEST((answers.result() == c.result));
        BOOST_TEST(answers.unavailable() == c.unavailable);
        BOOST_TEST(asked == c.asked);
    }
}

BOOST_AUTO_TEST_SUITE_END()

// The map-free scanner on synthetic tables of every era, placed inside
// noise: it must report exactly the layout and facts the encoder chose.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/image/load_address.hpp"
#include "ksym/kallsyms/encoder.hpp"
#include "ksym/kallsyms/scan.hpp"
#include "synthetic.hpp"

namespace {

struct era {
    const char* name;
    ksym::address_encoding encoding;
    std::size_t word;
    std::endian order;
    bool legacy_order;
    std::uint8_t marker_bytes;  // 0: 4
    bool num_syms_word;
    bool seqs;
    std::uint8_t seq_bytes;
    bool long_names;
};

constexpr auto le = std::endian::little;
constexpr auto be = std::endian::big;
using enc = ksym::address_encoding;

const era eras[] = {
    {"7.x place-relative, 64-bit LE", enc::place_relative, 8, le, false, 4, false, true, 3, true},
    {"7.x place-relative, 32-bit LE", enc::place_relative, 4, le, false, 4, false, true, 3, true},
    {"6.12 absolute-percpu, 64-bit LE", enc::absolute_percpu, 8, le, false, 4, false, true, 3, true},
    {"6.1 absolute-percpu, legacy order", enc::absolute_percpu, 8, le, true, 4, false, true, 3, true},
    {"6.1 base-relative, 64-bit BE (s390x)", enc::base_relative, 8, be, true, 4, false, true, 3, true},
    {"6.1 base-relative, 32-bit LE (armhf)", enc::base_relative, 4, le, true, 4, false, true, 3, true},
    {"6.1.y seqs of 4 bytes", enc::base_relative, 8, le, true, 4, false, true, 4, true},
    {"5.x base-relative, no seqs", enc::base_relative, 8, le, true, 4, false, false, 3, false},
    {"4.x absolute, 64-bit BE, word markers and count", enc::absolute, 8, be, true, 8, true, false, 3, false},
    {"4.x absolute, 64-bit LE, word markers", enc::absolute, 8, le, true, 8, true, false, 3, false},
    {"absolute, 32-bit LE", enc::absolute, 4, le, true, 4, false, false, 3, false},
    {"absolute, 32-bit BE", enc::absolute, 4, be, true, 4, false, false, 3, false},
};

struct built {
    std::vector<std::byte> image;
    std::uint64_t blob_at = 0;  // file offset of the encoded blob
    ksym::encoded_table table;
};

// The table encoded at `vaddr`, placed at a word-aligned offset between
// noise of `before` and `after` bytes.
built build(const era& e, std::size_t count, std::size_t before, std::size_t after, std::uint64_t seed) {
    ksym_test::synth_options so;
    so.count = count;
    so.seed = seed;
    so.start = e.word == 8 ? 0xffffffff81000000ull : 0xc1000000ull;
    so.percpu = e.encoding == enc::absolute_percpu ? 12 : 0;
    so.long_names = e.long_names ? 3 : 0;
    ksym::encoder_options o;
    o.encoding = e.encoding;
    o.word_bytes = e.word;
    o.byte_order = e.order;
    o.legacy_order = e.legacy_order;
    o.marker_bytes = e.marker_bytes;
    o.num_syms_word = e.num_syms_word;
    o.seqs_of_names = e.seqs;
    o.seq_bytes = e.seq_bytes;
    o.long_names = e.long_names;
    built b;
    b.blob_at = (before + 7) / 8 * 8;
    o.base = so.start + 0x1000000 + b.blob_at;  // the table sits in "rodata", after the symbols
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), o);
    REQUIRE(t);
    b.table = std::move(*t);
    ksym_test::xorshift rng{seed | 1};
    b.image.resize(b.blob_at + b.table.blob.size() + after);
    for (auto& x : b.image) x = static_cast<std::byte>(rng.next() >> 56);
    std::copy(b.table.blob.begin(), b.table.blob.end(), b.image.begin() + static_cast<std::ptrdiff_t>(b.blob_at));
    return b;
}

// The encoder's layout as offsets into the image.
ksym::kallsyms_layout expected_layout(const built& b) {
    ksym::kallsyms_layout l = b.table.layout;
    const auto shift = [&](std::uint64_t v) { return v - b.table.base + b.blob_at; };
    l.num_syms = shift(l.num_syms);
    l.names = shift(l.names);
    l.token_table = shift(l.token_table);
    l.token_index = shift(l.token_index);
    for (auto* v : {&l.markers, &l.addresses, &l.offsets, &l.relative_base, &l.seqs_of_names})
        if (*v) **v = shift(**v);
    return l;
}

void check_scan(const era& e, std::size_t count, std::size_t before, std::size_t after, std::uint64_t seed,
                bool tell_word) {
    const built b = build(e, count, before, after, seed);
    ksym::scan_options so;
    if (tell_word) so.word_bytes = static_cast<std::uint8_t>(e.word);
    const auto r = ksym::scan_kallsyms(b.image, so);
    REQUIRE(r);
    const ksym::kallsyms_format& f = b.table.format;
    ksym::kallsyms_scan want;
    want.layout = expected_layout(b);
    want.count = f.count;
    want.byte_order = e.order;
    want.encoding = f.encoding;
    // Place-relative tables say nothing of the word size unless told.
    want.word_bytes = e.encoding == enc::place_relative && !tell_word ? 8 : static_cast<std::uint8_t>(e.word);
    // One marker reads the same at either width: the scanner says 4.
    want.marker_bytes = count <= 256 ? 4 : f.marker_bytes;
    want.seq_bytes = f.seq_bytes;
    want.stored_relative_base = f.relative_base;
    using c = ksym::scan_check;
    auto bit = [](c x) { return static_cast<std::uint16_t>(x); };
    want.checks = static_cast<std::uint16_t>(bit(c::token_table) | bit(c::names_count) | bit(c::names_end) | bit(c::markers) |
                  bit(c::type_letters) | bit(c::addresses_sorted));
    if (e.encoding == enc::base_relative || e.encoding == enc::absolute_percpu) want.checks |= bit(c::base_lowest);
    if (e.seqs) want.checks = static_cast<std::uint16_t>(want.checks | bit(c::seqs_permutation) | bit(c::seqs_sorted));
    CHECK(*r == want);
    if (*r == want) return;
    // Field by field, to say which.
    const auto& l = r->layout;
    const auto& w = want.layout;
    CHECK(l.num_syms == w.num_syms);
    CHECK(l.names == w.names);
    CHECK(l.markers == w.markers);
    CHECK(l.token_table == w.token_table);
    CHECK(l.token_index == w.token_index);
    CHECK(l.addresses == w.addresses);
    CHECK(l.offsets == w.offsets);
    CHECK(l.relative_base == w.relative_base);
    CHECK(l.seqs_of_names == w.seqs_of_names);
    CHECK(r->count == want.count);
    CHECK(r->byte_order == want.byte_order);
    CHECK(r->encoding == want.encoding);
    CHECK(r->word_bytes == want.word_bytes);
    CHECK(r->marker_bytes == want.marker_bytes);
    CHECK(r->seq_bytes == want.seq_bytes);
    CHECK(r->stored_relative_base == want.stored_relative_base);
    CHECK(r->checks == want.checks);
}

}  // namespace

TEST_CASE("the scanner finds every era's table inside noise, exactly") {
    for (const era& e : eras) {
        for (std::size_t count : {2000u, 700u, 300u, 40u}) {
            for (bool tell : {true, false}) {
                // Unknown word size means a 64-bit guess (see scan_options).
                if (!tell && e.word == 4 && e.encoding != enc::place_relative) continue;
                const std::string name = e.name;
                CAPTURE(name);
                CAPTURE(count);
                CAPTURE(tell);
                check_scan(e, count, 4096 + count, 2048, count * 7 + 1, tell);
            }
        }
    }
}

TEST_CASE("the scanner refuses what holds no table") {
    ksym_test::xorshift rng{99};
    std::vector<std::byte> noise(1 << 20);
    for (auto& x : noise) x = static_cast<std::byte>(rng.next() >> 56);
    CHECK(ksym::scan_kallsyms(noise).error() == ksym::errc::not_found);
    std::vector<std::byte> zeros(1 << 20);
    CHECK(ksym::scan_kallsyms(zeros).error() == ksym::errc::not_found);
    CHECK(ksym::scan_kallsyms({}).error() == ksym::errc::not_found);

    // A real table, cut anywhere before its end, is either still found whole
    // (the cut fell in trailing noise) or not found at all; never misread.
    const built b = build(eras[0], 2000, 512, 64, 5);
    const std::uint64_t end = b.blob_at + b.table.blob.size();
    for (std::uint64_t cut = end - 600; cut < end + 64; cut += 37) {
        const auto r = ksym::scan_kallsyms(std::span(b.image).first(cut));
        if (!r) {
            CHECK(r.error() == ksym::errc::not_found);
            continue;
        }
        // seqs_of_names is last in this order and optional: a cut into it
        // leaves a table without it.
        ksym::kallsyms_layout want = expected_layout(b);
        if (!r->layout.seqs_of_names) want.seqs_of_names.reset();
        CHECK(r->layout == want);
    }
    // One flipped byte in the names stream breaks the count or the markers.
    std::vector<std::byte> flipped = b.image;
    const std::uint64_t names = b.table.layout.names - b.table.base + b.blob_at;
    flipped[names] = std::byte{0};
    CHECK(ksym::scan_kallsyms(flipped).error() == ksym::errc::not_found);
}

// decode(encode(x)) == x for every era the kernel has had.
#include <doctest/doctest.h>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/kallsyms/encoder.hpp"
#include "ksym/kallsyms/index.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/memory/segment_map.hpp"
#include "bulk_check.hpp"
#include "synthetic.hpp"

using ksym::address_encoding;
using ksym::errc;

namespace {

/// 32-bit big-endian PowerPC, an era Debian no longer ships.
struct ppc32 : ksym::basic_arch<20, 4, std::endian::big> {
    static constexpr std::string_view name = "ppc32";
};

// What every lookup must answer for symbol k: the encoder's input with the
// size the kernel would compute (distance to the next higher address).
std::vector<ksym::symbol> expected_symbols(const std::vector<ksym::encoder_symbol>& in) {
    std::vector<ksym::symbol> out(in.size());
    for (std::size_t k = 0; k < in.size(); ++k) {
        out[k].index = static_cast<std::uint32_t>(k);
        out[k].address = in[k].address;
        out[k].type = in[k].type;
        out[k].name = in[k].name;
        for (std::size_t j = k + 1; j < in.size(); ++j)
            if (in[j].address > in[k].address) {
                out[k].size = in[j].address - in[k].address;
                break;
            }
    }
    return out;
}

// How a check reaches the table: the table itself, or an index over it.
enum class via { table, index };

template <class Reader, class Arch>
void check_lookups(ksym::kallsyms_table<Reader, Arch>& table, via how, const std::vector<ksym::symbol>& want) {
    std::vector<std::uint64_t> storage;
    ksym::kallsyms_index<Reader, Arch> index;
    if (how == via::index) {
        storage.resize(index.words_for(table));
        CHECK(index.build(table, std::span(storage).first(storage.size() - 1)) == errc::capacity);
        REQUIRE(index.build(table, storage).ok());
        REQUIRE(index.size() == table.size());
    }
    auto at = [&](std::uint32_t k, std::span<char> b) { return how == via::index ? index.at(k, b) : table.at(k, b); };
    auto by_name = [&](std::string_view n, std::span<char> b) {
        return how == via::index ? index.find_by_name(n, b) : table.find_by_name(n, b);
    };
    auto by_addr = [&](std::uint64_t a, std::span<char> b) {
        return how == via::index ? index.find_by_address(a, b) : table.find_by_address(a, b);
    };

    std::map<std::string_view, std::uint32_t> first_by_name;  // lowest address per name, first in table order
    for (const auto& sym : want) first_by_name.try_emplace(sym.name, sym.index);
    ksym::name_buffer buf;
    for (std::uint32_t k = 0; k < want.size(); ++k) {
        auto got = at(k, buf);
        REQUIRE(got);
        CHECK(*got == want[k]);

        auto named = by_name(want[k].name, buf);
        REQUIRE(named);
        CHECK(*named == want[first_by_name[want[k].name]]);

        auto hit = by_addr(want[k].address, buf);
        REQUIRE(hit);
        std::uint32_t first_alias = k;
        while (first_alias > 0 && want[first_alias - 1].address == want[k].address) --first_alias;
        CHECK(hit->sym == want[first_alias]);
        CHECK(hit->offset == 0);
        if (want[k].size != 0) {
            auto inside = by_addr(want[k].address + want[k].size - 1, {});
            REQUIRE(inside);
            CHECK(inside->sym.index == first_alias);
            CHECK(inside->sym.name.empty());  // no buffer, no name
            CHECK(inside->offset == want[k].size - 1);
        }
    }
    CHECK(by_name("no_such_symbol_anywhere", buf).error() == errc::not_found);
    CHECK(by_name("", buf).error() == errc::not_found);
    if (want.front().address > 0) CHECK(by_addr(want.front().address - 1, buf).error() == errc::not_found);
}

// buffer_reader without its view(): the decoder then copies every read,
// which must give exactly what reading the lent memory in place gives.
struct copying_reader {
    ksym::buffer_reader inner;
    ksym::status read(std::uint64_t addr, std::span<std::byte> out) const { return inner.read(addr, out); }
};
static_assert(!ksym::LendingReader<copying_reader>);

template <class Arch, class Reader>
void check_roundtrip_once(const std::vector<ksym::encoder_symbol>& input, ksym::encoder_options eo,
                          std::optional<address_encoding> force, bool vmcoreinfo_style) {
    eo.word_bytes = Arch::pointer_bytes;
    eo.byte_order = Arch::byte_order;
    auto enc = ksym::encode_kallsyms(input, eo);
    REQUIRE(enc);
    const auto& t = *enc;
    Reader mem{ksym::buffer_reader(t.blob, t.base)};
    ksym::resolve_hints hints;
    hints.encoding = force;
    ksym::kallsyms_layout layout = t.layout;
    ksym::kallsyms_format expected = t.format;
    if (vmcoreinfo_style) {
        // What VMCOREINFO exports: no markers, no seqs_of_names.
        layout.markers.reset();
        layout.seqs_of_names.reset();
        expected.layout = layout;
        expected.marker_bytes = 0;
        expected.seq_bytes = 0;
    }
    // Widths that cannot show and do not matter: a little-endian word count
    // reads the same as its low u32, and a table of one marker block has
    // only marker 0, which is 0 at any width.
    if (Arch::byte_order == std::endian::little) expected.count_bytes = 4;
    if (expected.marker_bytes != 0 && expected.count <= 256) expected.marker_bytes = 4;
    auto fmt = ksym::resolve_format<Arch>(mem, layout, hints);
    REQUIRE(fmt);
    CHECK(*fmt == expected);

    auto table = std::make_unique<ksym::kallsyms_table<Reader, Arch>>();
    REQUIRE(table->open(mem, *fmt).ok());
    REQUIRE(table->size() == t.symbols.size());
    const std::vector<ksym::symbol> want = expected_symbols(t.symbols);

    // Iteration in table order gives every symbol whole.
    ksym::name_buffer buf;
    std::size_t i = 0;
    auto s = table->for_each(buf, [&](const ksym::symbol& sym) {
        REQUIRE(i < want.size());
        CHECK(sym == want[i]);
        ++i;
    });
    REQUIRE(s.ok());
    CHECK(i == want.size());
    // The bulk decode gives what the walk gives.
    ksym_test::check_bulk(*table);

    check_lookups(*table, via::table, want);
    check_lookups(*table, via::index, want);
    // The linear search agrees with the sorted one on a sample.
    for (std::uint32_t k = 0; k < want.size(); k += 97) {
        auto lin = table->find_by_name_linear(want[k].name, buf);
        auto sorted = table->find_by_name(want[k].name, buf);
        REQUIRE(lin);
        REQUIRE(sorted);
        CHECK(lin->index == sorted->index);
    }
    CHECK(table->find_by_name_linear("no_such_symbol_anywhere", buf).error() == errc::not_found);
}

// Every check runs on the full layout and on a VMCOREINFO-style one, through
// a reader that lends its memory and one that copies.
template <class Arch>
void check_roundtrip(const std::vector<ksym::encoder_symbol>& input, ksym::encoder_options eo,
                     std::optional<address_encoding> force = {}) {
    check_roundtrip_once<Arch, ksym::buffer_reader>(input, eo, force, false);
    check_roundtrip_once<Arch, ksym::buffer_reader>(input, eo, force, true);
    check_roundtrip_once<Arch, copying_reader>(input, eo, force, false);
    check_roundtrip_once<Arch, copying_reader>(input, eo, force, true);
}

}  // namespace

TEST_CASE("absolute addresses, 32-bit big-endian, word markers, 1-byte lengths (2.6-4.x ppc32)") {
    ksym_test::synth_options so;
    so.start = 0xc0000000;
    so.count = 1500;
    ksym::encoder_options eo;
    eo.encoding = address_encoding::absolute;
    eo.marker_bytes = 4;  // the word size on a 32-bit target
    eo.num_syms_word = true;
    eo.long_names = false;
    eo.seqs_of_names = false;
    eo.base = 0xc0800000;
    check_roundtrip<ppc32>(ksym_test::make_symbols(so), eo);
}

TEST_CASE("absolute addresses, 64-bit little-endian, word markers (x86-64 before 4.6 / 4.20)") {
    ksym_test::synth_options so;
    ksym::encoder_options eo;
    eo.encoding = address_encoding::absolute;
    eo.marker_bytes = 8;
    eo.num_syms_word = true;
    eo.long_names = false;
    eo.seqs_of_names = false;
    eo.base = 0xffffffff82000000ull;
    check_roundtrip<ksym::arch::x86_64>(ksym_test::make_symbols(so), eo);
}

TEST_CASE("base-relative, 64-bit big-endian, word markers and word num_syms (s390x 4.x)") {
    ksym_test::synth_options so;
    so.start = 0x100000;
    ksym::encoder_options eo;
    eo.encoding = address_encoding::base_relative;
    eo.marker_bytes = 8;
    eo.num_syms_word = true;
    eo.long_names = false;
    eo.seqs_of_names = false;
    eo.base = 0x1000000;
    check_roundtrip<ksym::arch::s390x>(ksym_test::make_symbols(so), eo);
}

TEST_CASE("base-relative with 3-byte seqs and long names (arm64 6.x)") {
    ksym_test::synth_options so;
    so.start = 0xffff800080000000ull;
    so.long_names = 40;
    so.count = 3000;
    ksym::encoder_options eo;
    eo.encoding = address_encoding::base_relative;
    eo.base = 0xffff800081000000ull;
    check_roundtrip<ksym::arch::arm64>(ksym_test::make_symbols(so), eo);
}

TEST_CASE("base-relative, 32-bit little-endian (i386 6.x) with 4-byte seqs (early 6.2 / 6.1.42)") {
    ksym_test::synth_options so;
    so.start = 0xc1000000;
    ksym::encoder_options eo;
    eo.encoding = address_encoding::base_relative;
    eo.seq_bytes = 4;
    eo.base = 0xc2000000;
    check_roundtrip<ksym::arch::i386>(ksym_test::make_symbols(so), eo);
}

TEST_CASE("absolute-percpu (x86-64 4.6-6.14)") {
    ksym_test::synth_options so;
    so.percpu = 50;
    so.count = 2500;
    ksym::encoder_options eo;
    eo.encoding = address_encoding::absolute_percpu;
    eo.base = 0xffffffff82000000ull;
    auto syms = ksym_test::make_symbols(so);
    check_roundtrip<ksym::arch::x86_64>(syms, eo);
    // The same table opened with the encoding forced gives the same result.
    check_roundtrip<ksym::arch::x86_64>(syms, eo, address_encoding::absolute_percpu);
}

TEST_CASE("place-relative (7.x)") {
    ksym_test::synth_options so;
    so.long_names = 5;
    ksym::encoder_options eo;
    eo.encoding = address_encoding::place_relative;
    eo.base = 0xffffffff82000000ull;
    check_roundtrip<ksym::arch::x86_64>(ksym_test::make_symbols(so), eo);
    ksym_test::synth_options so32;
    so32.start = 0xc1000000;
    eo.base = 0xc1800000;
    check_roundtrip<ppc32>(ksym_test::make_symbols(so32), eo);
}

TEST_CASE("tables smaller than one marker block, and a single symbol") {
    ksym_test::synth_options so;
    so.count = 100;
    ksym::encoder_options eo;
    eo.marker_bytes = 8;
    eo.base = 0xffffffff82000000ull;
    check_roundtrip<ksym::arch::x86_64>(ksym_test::make_symbols(so), eo);
    so.count = 1;
    check_roundtrip<ksym::arch::x86_64>(ksym_test::make_symbols(so), eo);
}

TEST_CASE("the encoder refuses what an era cannot represent") {
    ksym_test::synth_options so;
    so.long_names = 1;
    so.count = 10;
    ksym::encoder_options eo;
    eo.long_names = false;
    CHECK(ksym::encode_kallsyms(ksym_test::make_symbols(so), eo).error() == errc::unsupported);
    eo = {};
    eo.encoding = address_encoding::base_relative;
    std::vector<ksym::encoder_symbol> far{{0x1000, 'T', "a"}, {0x200000000ull, 'T', "b"}};
    CHECK(ksym::encode_kallsyms(far, eo).error() == errc::unsupported);
    CHECK(ksym::encode_kallsyms({}, eo).error() == errc::invalid_argument);
    eo.word_bytes = 4;
    std::vector<ksym::encoder_symbol> wide{{0x100000000ull, 'T', "a"}};
    CHECK(ksym::encode_kallsyms(wide, eo).error() == errc::invalid_argument);
}

TEST_CASE("in-order decoding with long tokens and tight name buffers") {
    // Names sharing a long stem make the compressor grow tokens past the
    // 16-byte padded slots, which the in-order fast path hands back to the
    // checked expansion.
    std::vector<ksym::encoder_symbol> syms;
    std::uint64_t a = 0xffffffff81000000ull;
    for (int i = 0; i < 600; ++i) {
        a += 32;
        syms.push_back({a, 't', "__pfx_drm_atomic_helper_commit_tail_rpm_" + std::to_string(i % 37) + "_" +
                                    std::string(static_cast<std::size_t>(i % 5), 'x')});
    }
    ksym::encoder_options eo;
    eo.base = 0xffffffff83000000ull;
    auto enc = ksym::encode_kallsyms(syms, eo);
    REQUIRE(enc);
    std::size_t longest_token = 0, longest_name = 0;
    for (const auto& tok : enc->tokens) longest_token = std::max(longest_token, tok.size());
    for (const auto& s : enc->symbols) longest_name = std::max(longest_name, s.name.size());
    REQUIRE(longest_token > ksym::token_table::pad);
    check_roundtrip<ksym::arch::x86_64>(syms, eo);

    ksym::buffer_reader mem(enc->blob, enc->base);
    auto table = std::make_unique<ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::x86_64>>();
    REQUIRE(table->open(mem, enc->format).ok());
    // Exactly room for the longest name and its NUL: every name still decodes.
    std::vector<char> tight(longest_name + 1);
    std::size_t i = 0;
    REQUIRE(table->for_each(std::span(tight), [&](const ksym::symbol& s) {
        CHECK(s.name == enc->symbols[i++].name);
    }).ok());
    CHECK(i == enc->symbols.size());
    // One byte less: a typed error, not an overrun.
    std::vector<char> short_buf(longest_name);
    CHECK(table->for_each(std::span(short_buf), [](const ksym::symbol&) {}).code() == errc::capacity);
}

TEST_CASE("a corrupt record: every path reports it, none answers with another symbol") {
    ksym_test::synth_options so;
    so.count = 300;
    ksym::encoder_options eo;
    eo.base = 0xffffffff82000000ull;
    auto enc = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
    REQUIRE(enc);
    // Find record 10 by walking the lengths, then zero its length byte.
    std::size_t off = static_cast<std::size_t>(enc->layout.names - enc->base);
    for (int k = 0; k < 10; ++k) {
        const auto b0 = static_cast<std::uint8_t>(enc->blob[off]);
        off += b0 & 0x80 ? 2 + ((b0 & 0x7fu) | (unsigned{static_cast<std::uint8_t>(enc->blob[off + 1])} << 7)) : 1 + b0;
    }
    const std::uint64_t bad = enc->base + off;
    enc->blob[off] = std::byte{0};
    ksym::buffer_reader mem(enc->blob, enc->base);
    auto table = std::make_unique<ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::x86_64>>();
    REQUIRE(table->open(mem, enc->format).ok());
    ksym::name_buffer buf;
    std::uint32_t seen = 0;
    const ksym::status walk = table->for_each(buf, [&](const ksym::symbol&) { ++seen; });
    CHECK(walk == ksym::status{errc::corrupt, bad});
    CHECK(seen == 10);
    for (std::uint32_t k = 0; k < 10; ++k) CHECK(table->at(k, buf).has_value());
    for (std::uint32_t k = 10; k < 256; ++k) CHECK(table->at(k, buf).error() == ksym::status{errc::corrupt, bad});
    // Records past the next marker do not need record 10, so they still decode, and correctly.
    auto later = table->at(256, buf);
    REQUIRE(later);
    CHECK(later->name == enc->symbols[256].name);
    const auto hit = table->find_by_address(enc->symbols[12].address, buf);
    CHECK(hit.error() == ksym::status{errc::corrupt, bad});
    // An index needs every record: building one fails.
    ksym::kallsyms_index<ksym::buffer_reader, ksym::arch::x86_64> index;
    std::vector<std::uint64_t> storage(index.words_for(*table));
    CHECK(index.build(*table, storage) == ksym::status{errc::corrupt, bad});
    CHECK(index.size() == 0);
}

TEST_CASE("markers that disagree with the names stream make the walk fail before it reaches them") {
    ksym_test::synth_options so;
    so.count = 600;
    ksym::encoder_options eo;
    eo.base = 0xffffffff82000000ull;
    auto enc = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
    REQUIRE(enc);
    // Marker 1 (symbol 256) moved one record on: at(256) would decode 257.
    const std::size_t m1 = static_cast<std::size_t>(*enc->layout.markers - enc->base) + 4;
    const auto v = ksym::load<std::uint32_t>(enc->blob.data() + m1, std::endian::little);
    const auto len = static_cast<std::uint8_t>(enc->blob[static_cast<std::size_t>(enc->layout.names - enc->base) + v]);
    ksym::store_n(enc->blob.data() + m1, v + 1u + len, 4, std::endian::little);
    ksym::buffer_reader mem(enc->blob, enc->base);
    auto table = std::make_unique<ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::x86_64>>();
    REQUIRE(table->open(mem, enc->format).ok());
    ksym::name_buffer buf;
    std::uint32_t seen = 0;
    CHECK(table->for_each(buf, [&](const ksym::symbol&) { ++seen; }) == errc::corrupt);
    CHECK(seen == 256);
}

TEST_CASE("lookups through a lending reader (seek hints kept) answer exactly as through a copying one (none)") {
    // The lending path reads the address array, markers and seqs_of_names in
    // place and skips the second seek of a name search; the copying path
    // reads each through the reader. Every answer, error included, must agree.
    for (auto enc : {address_encoding::absolute, address_encoding::base_relative, address_encoding::absolute_percpu,
                     address_encoding::place_relative}) {
        CAPTURE(static_cast<int>(enc));
        ksym_test::synth_options so;
        so.count = 1500;
        so.percpu = enc == address_encoding::absolute_percpu ? 10 : 0;
        so.long_names = 2;
        ksym::encoder_options eo;
        eo.encoding = enc;
        eo.base = 0xffffffff82000000ull;
        auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
        REQUIRE(t);
        ksym::buffer_reader mem(t->blob, t->base);
        ksym::segment_map<4> map;  // lends through reader_ref
        REQUIRE(map.add(t->base, t->blob.size(), mem).ok());
        copying_reader copier{mem};
        auto lent = std::make_unique<ksym::kallsyms_table<ksym::segment_map<4>, ksym::arch::x86_64>>();
        // ... and without seek hints, so their answers are checked against a walk without them.
        auto copied = std::make_unique<ksym::kallsyms_table<copying_reader, ksym::arch::x86_64, ksym::runtime_format, 0>>();
        REQUIRE(lent->open(map, t->format).ok());
        REQUIRE(copied->open(copier, t->format).ok());
        ksym::name_buffer a, b;
        std::size_t bad = 0;
        const auto same_sym = [](const auto& x, const auto& y) {
            if (x.has_value() != y.has_value()) return false;
            if (!x) return x.error() == y.error();
            return *x == *y;
        };
        for (std::uint32_t k = 0; k < lent->size(); ++k) {
            const auto& in = t->symbols[k];
            if (!same_sym(lent->at(k, a), copied->at(k, b))) ++bad;
            if (!same_sym(lent->find_by_name(in.name, a), copied->find_by_name(in.name, b))) ++bad;
            for (const std::uint64_t probe : {in.address - 1, in.address, in.address + 1}) {
                auto x = lent->find_by_address(probe, a);
                auto y = copied->find_by_address(probe, b);
                if (x.has_value() != y.has_value() || (x && (x->sym != y->sym || x->offset != y->offset)) ||
                    (!x && x.error() != y.error()))
                    ++bad;
            }
        }
        CHECK(!lent->find_by_name("not_a_symbol", a).has_value());
        CHECK(bad == 0);
    }
}

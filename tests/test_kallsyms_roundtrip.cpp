// decode(encode(x)) == x for every era the kernel has had.
#include <doctest/doctest.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/kallsyms/encoder.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "synthetic.hpp"

using ksym::address_encoding;
using ksym::errc;

namespace {

/// 32-bit big-endian PowerPC, an era Debian no longer ships.
struct ppc32 : ksym::basic_arch<20, 4, std::endian::big> {
    static constexpr std::string_view name = "ppc32";
};

template <class Arch>
void check_roundtrip_once(const std::vector<ksym::encoder_symbol>& input, ksym::encoder_options eo,
                          std::optional<address_encoding> force, bool indexed) {
    eo.word_bytes = Arch::pointer_bytes;
    eo.byte_order = Arch::byte_order;
    auto enc = ksym::encode_kallsyms(input, eo);
    REQUIRE(enc);
    const auto& t = *enc;
    ksym::buffer_reader mem(t.blob, t.base);
    ksym::kallsyms_options ko;
    ko.encoding = force;
    auto opened = ksym::kallsyms_table<ksym::buffer_reader, Arch>::open(mem, t.layout, ko);
    REQUIRE(opened);
    auto& table = *opened;
    REQUIRE(table.size() == t.symbols.size());
    std::vector<std::uint64_t> index_storage;
    if (indexed) {
        index_storage.resize(table.index_words());
        CHECK(table.attach_index(std::span(index_storage).first(index_storage.size() - 1)) == errc::capacity);
        REQUIRE(table.attach_index(index_storage).ok());
        CHECK(table.has_index());
    }
    CHECK(table.encoding() == eo.encoding);
    CHECK(table.marker_bytes() == eo.marker_bytes);
    if (eo.seqs_of_names) CHECK(table.seq_bytes() == eo.seq_bytes);

    // Iteration in table order.
    std::array<char, ksym::ksym_name_len> buf{};
    std::size_t i = 0;
    auto s = table.for_each(std::span(buf), [&](const ksym::kallsyms_symbol& sym) {
        const auto& want = t.symbols[i];
        CHECK(sym.index == i);
        CHECK(sym.address == want.address);
        CHECK(sym.type == want.type);
        CHECK(sym.name == want.name);
        ++i;
    });
    REQUIRE(s.ok());
    CHECK(i == t.symbols.size());

    // Random access, by name and by address, for every symbol.
    std::map<std::string, std::uint64_t> first_by_name;  // lowest address per name
    for (const auto& sym : t.symbols) {
        auto it = first_by_name.find(sym.name);
        if (it == first_by_name.end() || sym.address < it->second) first_by_name[sym.name] = sym.address;
    }
    for (std::uint32_t k = 0; k < t.symbols.size(); ++k) {
        const auto& want = t.symbols[k];
        auto got = table.at(k, std::span(buf));
        REQUIRE(got);
        CHECK(got->name == want.name);
        CHECK(got->address == want.address);

        auto by_name = table.find_by_name(want.name, std::span(buf));
        REQUIRE(by_name);
        CHECK(by_name->address == first_by_name[want.name]);
        CHECK(by_name->name == want.name);

        auto by_addr = table.find_by_address(want.address);
        REQUIRE(by_addr);
        CHECK(by_addr->address == want.address);
        CHECK(by_addr->offset == 0);
        CHECK(t.symbols[by_addr->index].address == want.address);
        // The first alias is chosen.
        CHECK((by_addr->index == 0 || t.symbols[by_addr->index - 1].address != want.address));
        if (by_addr->size != 0) {
            auto inside = table.find_by_address(want.address + by_addr->size - 1);
            REQUIRE(inside);
            CHECK(inside->index == by_addr->index);
            CHECK(inside->offset == by_addr->size - 1);
        }
    }
    // The linear search agrees with the sorted one on a sample.
    for (std::uint32_t k = 0; k < t.symbols.size(); k += 97) {
        auto lin = table.find_by_name_linear(t.symbols[k].name, std::span(buf));
        REQUIRE(lin);
        CHECK(lin->address == first_by_name[t.symbols[k].name]);
    }
    CHECK(table.find_by_name("no_such_symbol_anywhere", std::span(buf)).error() == errc::not_found);
    CHECK(table.find_by_name("", std::span(buf)).error() == errc::not_found);
    CHECK(table.find_by_name_linear("no_such_symbol_anywhere", std::span(buf)).error() == errc::not_found);
    if (t.symbols.front().address > 0)
        CHECK(table.find_by_address(t.symbols.front().address - 1).error() == errc::not_found);
}

// Every check runs with and without a lent index: results must not differ.
template <class Arch>
void check_roundtrip(const std::vector<ksym::encoder_symbol>& input, ksym::encoder_options eo,
                     std::optional<address_encoding> force = {}) {
    check_roundtrip_once<Arch>(input, eo, force, false);
    check_roundtrip_once<Arch>(input, eo, force, true);
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
    auto table = ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::x86_64>::open(mem, enc->layout);
    REQUIRE(table);
    // Exactly room for the longest name and its NUL: every name still decodes.
    std::vector<char> tight(longest_name + 1);
    std::size_t i = 0;
    REQUIRE(table->for_each(std::span(tight), [&](const ksym::kallsyms_symbol& s) {
        CHECK(s.name == enc->symbols[i++].name);
    }).ok());
    CHECK(i == enc->symbols.size());
    // One byte less: a typed error, not an overrun.
    std::vector<char> short_buf(longest_name);
    CHECK(table->for_each(std::span(short_buf), [](const ksym::kallsyms_symbol&) {}).code() == errc::capacity);
}

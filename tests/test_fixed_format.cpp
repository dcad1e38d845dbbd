// A table whose format is fixed at compile time (fixed_format) answers
// exactly as the run-time table does, for every era, and refuses a format
// that is not its own.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/kallsyms/encoder.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "synthetic.hpp"

using ksym::address_encoding;
using ksym::errc;
using ksym::name_suffix_rule;

namespace {

struct ppc32 : ksym::basic_arch<20, 4, std::endian::big> {
    static constexpr std::string_view name = "ppc32";
};

// Encodes `input` as `eo` says, opens it with the run-time policy (through
// resolve_format) and with `Fixed` (from the layout alone, and from the
// resolved format), and requires the same answer from every lookup.
template <class Arch, class Fixed>
void check_fixed(const std::vector<ksym::encoder_symbol>& input, ksym::encoder_options eo,
                 bool vmcoreinfo_style = false, name_suffix_rule rule = name_suffix_rule::exact) {
    eo.word_bytes = Arch::pointer_bytes;
    eo.byte_order = Arch::byte_order;
    auto enc = ksym::encode_kallsyms(input, eo);
    REQUIRE(enc);
    ksym::buffer_reader mem(enc->blob, enc->base);
    ksym::kallsyms_layout layout = enc->layout;
    if (vmcoreinfo_style) {
        layout.markers.reset();
        layout.seqs_of_names.reset();
    }
    ksym::resolve_hints hints;
    hints.suffix_rule = rule;
    hints.encoding = enc->format.encoding;  // absolute-percpu with few per-CPU symbols is not inferable
    auto fmt = ksym::resolve_format<Arch>(mem, layout, hints);
    REQUIRE(fmt);
    using runtime_table = ksym::kallsyms_table<ksym::buffer_reader, Arch>;
    using fixed_table = ksym::kallsyms_table<ksym::buffer_reader, Arch, Fixed>;
    auto ref = std::make_unique<runtime_table>();
    auto fixed = std::make_unique<fixed_table>();
    auto from_format = std::make_unique<fixed_table>();
    REQUIRE(ref->open(mem, *fmt).ok());
    REQUIRE(fixed->open(mem, layout).ok());
    REQUIRE(from_format->open(mem, *fmt).ok());
    CHECK(fixed->format() == from_format->format());
    CHECK(fixed->size() == ref->size());
    // A format the policy does not describe is refused, not misread.
    ksym::kallsyms_format other = *fmt;
    other.encoding = fmt->encoding == address_encoding::place_relative ? address_encoding::base_relative
                                                                       : address_encoding::place_relative;
    CHECK(from_format->open(mem, other) == errc::invalid_argument);
    other = *fmt;
    other.seq_bytes = fmt->seq_bytes == 0 ? 3 : 0;
    CHECK(from_format->open(mem, other) == errc::invalid_argument);
    REQUIRE(from_format->open(mem, *fmt).ok());

    ksym::name_buffer a, b;
    std::vector<ksym::symbol> walk;
    std::vector<std::string> names;
    REQUIRE(ref->for_each(a, [&](const ksym::symbol& s) {
                   walk.push_back(s);
                   names.emplace_back(s.name);
               }).ok());
    std::size_t i = 0;
    REQUIRE(fixed->for_each(b, [&](const ksym::symbol& s) {
                     REQUIRE(i < walk.size());
                     ksym::symbol w = walk[i];
                     w.name = names[i];
                     CHECK(s == w);
                     ++i;
                 }).ok());
    CHECK(i == walk.size());
    for (std::uint32_t k = 0; k < ref->size(); ++k) {
        auto x = ref->at(k, a), y = fixed->at(k, b);
        REQUIRE(x);
        REQUIRE(y);
        CHECK(*x == *y);
        // Under a suffix rule lookups see names without their suffix, as the kernel's do.
        const std::string name(ksym::detail::cleanup(x->name, rule));
        auto nx = ref->find_by_name(name, a), ny = fixed->find_by_name(name, b);
        REQUIRE(nx);
        REQUIRE(ny);
        CHECK(*nx == *ny);
        for (std::uint64_t off : {std::uint64_t{0}, x->size / 2}) {
            auto ax = ref->find_by_address(x->address + off, a), ay = fixed->find_by_address(x->address + off, b);
            REQUIRE(ax);
            REQUIRE(ay);
            CHECK(ax->sym == ay->sym);
            CHECK(ax->offset == ay->offset);
        }
    }
    CHECK(fixed->find_by_name("no_such_symbol_anywhere", b).error() == errc::not_found);
}

std::vector<ksym::encoder_symbol> symbols(std::size_t count, std::size_t percpu = 0, std::size_t long_names = 0,
                                          std::uint64_t start = 0xffffffff81000000ull) {
    ksym_test::synth_options o;
    o.count = count;
    o.percpu = percpu;
    o.long_names = long_names;
    o.start = start;
    return ksym_test::make_symbols(o);
}

}  // namespace

TEST_CASE("fixed format: place-relative, 4-byte markers, 3-byte seqs (7.x)") {
    ksym::encoder_options eo;
    eo.encoding = address_encoding::place_relative;
    eo.base = 0xffffffff82000000ull;
    check_fixed<ksym::arch::x86_64, ksym::fixed_format<address_encoding::place_relative>>(symbols(1500, 0, 3), eo);
}

TEST_CASE("fixed format: base-relative with a given relative base (raw arm64 Image, 6.1)") {
    ksym::encoder_options eo;
    eo.encoding = address_encoding::base_relative;
    eo.base = 0xffff800008f00000ull;
    const auto input = symbols(900, 0, 0, 0xffff800008010000ull);
    auto enc = ksym::encode_kallsyms(input, eo);
    REQUIRE(enc);
    // The Image stores 0 at kallsyms_relative_base; the caller gives the
    // relocated value, as the boot code would have filled it.
    auto blob = enc->blob;
    const std::uint64_t base = enc->format.relative_base;
    ksym::store_n(blob.data() + (*enc->layout.relative_base - enc->base), 0, 8, std::endian::little);
    ksym::buffer_reader mem(blob, enc->base);
    using fixed = ksym::fixed_format<address_encoding::base_relative>;
    auto table = std::make_unique<ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::arm64, fixed>>();
    REQUIRE(table->open(mem, enc->layout, base).ok());
    CHECK(table->format().relative_base == base);
    CHECK(table->format().base_from == ksym::base_source::given);
    ksym::name_buffer buf;
    for (std::uint32_t k = 0; k < table->size(); k += 37) {
        auto s = table->at(k, buf);
        REQUIRE(s);
        CHECK(s->address == enc->symbols[k].address);
        CHECK(s->name == enc->symbols[k].name);
    }
    // Without the base it reads the stored 0, and every address is off by it.
    REQUIRE(table->open(mem, enc->layout).ok());
    CHECK(table->format().base_from == ksym::base_source::stored);
    CHECK(table->address_at(0).value() == enc->symbols[0].address - base);
    check_fixed<ksym::arch::arm64, fixed>(input, eo);
}

TEST_CASE("fixed format: absolute-percpu (x86-64 6.1)") {
    ksym::encoder_options eo;
    eo.encoding = address_encoding::absolute_percpu;
    eo.base = 0xffffffff82000000ull;
    check_fixed<ksym::arch::x86_64, ksym::fixed_format<address_encoding::absolute_percpu>>(symbols(1200, 40), eo);
}

TEST_CASE("fixed format: base-relative, 4-byte seqs (i386, early 6.2)") {
    ksym::encoder_options eo;
    eo.encoding = address_encoding::base_relative;
    eo.seq_bytes = 4;
    eo.base = 0xc2000000u;
    check_fixed<ksym::arch::i386, ksym::fixed_format<address_encoding::base_relative, 4, 4>>(
        symbols(700, 0, 0, 0xc1000000u), eo);
}

TEST_CASE("fixed format: absolute, word markers, no seqs, 1-byte lengths (ppc32 before 4.20)") {
    ksym::encoder_options eo;
    eo.encoding = address_encoding::absolute;
    eo.long_names = false;
    eo.marker_bytes = 4;
    eo.num_syms_word = true;
    eo.seqs_of_names = false;
    eo.base = 0xc0800000u;
    check_fixed<ppc32, ksym::fixed_format<address_encoding::absolute, 4, 0>>(symbols(800, 0, 0, 0xc0000000u), eo);
}

TEST_CASE("fixed format: word markers and word num_syms, big-endian (s390x 4.x)") {
    ksym::encoder_options eo;
    eo.encoding = address_encoding::base_relative;
    eo.marker_bytes = 8;
    eo.num_syms_word = true;
    eo.seqs_of_names = false;
    eo.base = 0x2000000u;
    check_fixed<ksym::arch::s390x, ksym::fixed_format<address_encoding::base_relative, 8, 0>>(
        symbols(1000, 0, 0, 0x100000u), eo);
}

TEST_CASE("fixed format: derived markers, linear search (what VMCOREINFO gives)") {
    ksym::encoder_options eo;
    eo.encoding = address_encoding::place_relative;
    eo.base = 0xffffffff82000000ull;
    using fixed = ksym::fixed_format<address_encoding::place_relative, 0, 0>;
    check_fixed<ksym::arch::x86_64, fixed>(symbols(1100), eo, true);
}

TEST_CASE("fixed format: a suffix rule (clang LTO 6.5-6.10)") {
    ksym::encoder_options eo;
    eo.encoding = address_encoding::base_relative;
    eo.base = 0xffffffff82000000ull;
    auto input = symbols(600);
    input[100].name = "tcp_llvm_probe.llvm.1234567";
    using fixed = ksym::fixed_format<address_encoding::base_relative, 4, 3, name_suffix_rule::strip_llvm>;
    check_fixed<ksym::arch::x86_64, fixed>(input, eo, false, name_suffix_rule::strip_llvm);
    auto enc = ksym::encode_kallsyms(input, eo);
    REQUIRE(enc);
    ksym::buffer_reader mem(enc->blob, enc->base);
    auto table = std::make_unique<ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::x86_64, fixed>>();
    REQUIRE(table->open(mem, enc->layout).ok());
    ksym::name_buffer buf;
    auto s = table->find_by_name("tcp_llvm_probe", buf);
    REQUIRE(s);
    CHECK(s->name == "tcp_llvm_probe.llvm.1234567");
}

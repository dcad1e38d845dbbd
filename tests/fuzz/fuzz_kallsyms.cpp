// libFuzzer target: the kallsyms decoder over arbitrary memory and layout.
//
// Input: a 40-byte header choosing the target, the encoding and where each
// array sits (as offsets into the rest of the input), then the memory
// itself, served by a buffer_reader at a fixed base. Every operation must
// return a value or a typed error; the sanitizers catch everything else.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/arch/targets.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"

namespace {

constexpr std::uint64_t base = 0xffffffff81000000ull;

template <class Arch>
void exercise(std::span<const std::byte> mem, const ksym::kallsyms_layout& layout, const ksym::kallsyms_options& opts,
              std::uint64_t probe) {
    ksym::buffer_reader r(mem, base);
    auto t = ksym::kallsyms_table<ksym::buffer_reader, Arch>::open(r, layout, opts);
    if (!t) return;
    std::array<char, ksym::ksym_name_len> buf{};
    std::uint32_t seen = 0;
    (void)t->for_each(std::span(buf), [&](const ksym::kallsyms_symbol& s) {
        // Names must lie inside the buffer and be NUL-terminated.
        if (s.name.size() >= buf.size() || buf[s.name.size()] != '\0') __builtin_trap();
        return ++seen < 4096;
    });
    const std::uint32_t n = t->size();
    (void)t->at(static_cast<std::uint32_t>(probe % n), std::span(buf));
    (void)t->at(n - 1, std::span(buf));
    (void)t->find_by_address(base + (probe & 0xffff));
    (void)t->find_by_address(probe);
    (void)t->find_by_name("vfs_read", std::span(buf));
    if (n < 4096) (void)t->find_by_name_linear("a", std::span(buf));
    std::array<char, 4> small{};
    (void)t->at(0, std::span(small));
    // Again through a lent index (addresses, name offsets, name hash), on
    // tables small enough for a fixed buffer: the index is built from the
    // same hostile bytes and must fail or answer, never read outside them.
    static std::array<std::uint64_t, 3 * 4096> index;
    if (t->index_words() <= index.size() && t->attach_index(index).ok()) {
        (void)t->find_by_name("vfs_read", std::span(buf));
        std::array<char, ksym::ksym_name_len> last{};  // the name `at` just wrote, as a query
        if (t->at(static_cast<std::uint32_t>(probe % n), std::span(last)))
            (void)t->find_by_name(std::string_view(last.data()), std::span(buf));
        (void)t->find_by_address(probe);
        (void)t->find_by_address(base + (probe & 0xffff));
        (void)t->at(static_cast<std::uint32_t>(probe % n), std::span(buf));
        t->detach_index();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 40) return 0;
    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    auto field = [&](std::size_t i) { return base + ksym::load<std::uint32_t>(bytes + 4 + 4 * i, std::endian::little) % (size - 40 + 64); };
    const auto flags = ksym::load<std::uint32_t>(bytes, std::endian::little);
    ksym::kallsyms_layout l;
    l.num_syms = field(0);
    l.names = field(1);
    l.markers = field(2);
    l.token_table = field(3);
    l.token_index = field(4);
    if (flags & 1) l.addresses = field(5);
    else l.offsets = field(5);
    if (flags & 2) l.relative_base = field(6);
    if (flags & 4) l.seqs_of_names = field(7);
    if (flags & 8) l.relative_base_value = field(8);
    l.marker_bytes = static_cast<std::uint8_t>((flags >> 4) & 0xc);  // 0 (infer), 4, 8 or 12 (invalid)
    ksym::kallsyms_options o;
    if (flags & 0x100) o.encoding = static_cast<ksym::address_encoding>((flags >> 9) & 3);
    o.suffix_rule = static_cast<ksym::name_suffix_rule>(((flags >> 11) & 3) % 3);
    o.seq_bytes = static_cast<std::uint8_t>(((flags >> 13) & 7) % 5);
    const std::span<const std::byte> mem(bytes + 40, size - 40);
    const std::uint64_t probe = ksym::load<std::uint64_t>(bytes + 32, std::endian::little);
    switch ((flags >> 16) & 3) {
    case 0: exercise<ksym::arch::x86_64>(mem, l, o, probe); break;
    case 1: exercise<ksym::arch::i386>(mem, l, o, probe); break;
    case 2: exercise<ksym::arch::s390x>(mem, l, o, probe); break;
    default: exercise<ksym::arch::arm64>(mem, l, o, probe); break;
    }
    return 0;
}

// libFuzzer target: BTF blobs. The first byte picks how the blob is opened
// (little-endian, big-endian or by its magic; 4- or 8-byte pointers), the
// rest is the blob. Opening must give a typed error or a BTF whose every
// query answers without a fault, and lookups by id through the checkpoints,
// through the index and in walk order must agree, as must the module
// layouts read with and without the index.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ksym/btf/btf.hpp"
#include "ksym/btf/query.hpp"
#include "ksym/modules/layout.hpp"

namespace {
constexpr std::string_view names[] = {"module", "mod_kallsyms", "list_head", "state", "name", "mem", "base",
                                      "size",   "next",         "MOD_TEXT",  "s",     "a",    "x",    ""};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t sel = data[0];
    const std::span<const std::byte> blob(reinterpret_cast<const std::byte*>(data + 1), size - 1);
    const std::size_t ptr = (sel & 4) ? 4 : 8;
    ksym::btf b;
    ksym::status s;
    switch (sel & 3) {
    case 0: s = b.open(blob, std::endian::little, ptr); break;
    case 1: s = b.open(blob, std::endian::big, ptr); break;
    default: s = b.open_any_order(blob, ptr); break;
    }
    if (!s) {
        if (b.type_count() != 0) __builtin_trap();
        return 0;
    }
    static std::vector<std::uint32_t> storage;
    storage.assign(b.index_words(), 0);
    ksym::btf ib = b;
    if (!ib.build_index(storage).ok()) __builtin_trap();

    std::uint32_t walked = 0;
    b.for_each_type([&](const ksym::btf_type& t) {
        ++walked;
        const auto by_id = b.type(t.id), by_index = ib.type(t.id);
        if (t.id != walked || !by_id || !by_index || !(*by_id == t) || !(*by_index == t)) __builtin_trap();
        if (t.id > 512) return true;  // the expensive questions on the first records only
        (void)ksym::type_size(b, t.id);
        (void)ksym::resolve_type(b, t.id);
        (void)ksym::pointee(b, t.id);
        (void)ksym::array_info(b, t.id);
        (void)b.string_at(t.name_off);
        if (t.kind == ksym::btf_kind::struct_ || t.kind == ksym::btf_kind::union_) {
            std::array<ksym::btf_member_lookup, std::size(names)> want{};
            for (std::size_t i = 0; i < want.size(); ++i) want[i].name = names[i];
            (void)ksym::find_members(b, t.id, want);
            // The first member is found by its own name, at its own offset (plus,
            // for an INT bitfield of a kind_flag-0 struct, the INT's own offset).
            if (t.vlen > 0) {
                const auto n = b.data_word(t, 0), off = b.data_word(t, 8);
                if (!n || !off) __builtin_trap();
                const auto name = b.string_at(*n);
                if (name && !name->empty()) {
                    const auto m = ksym::find_member(b, t.id, *name);
                    const std::uint64_t own = t.kind_flag ? (*off & 0xffffffu) : *off;
                    if (m && (m->bit_offset < own || m->bit_offset > own + 255)) __builtin_trap();
                    if (!m && m.error() == ksym::errc::not_found) __builtin_trap();
                }
            }
        }
        if (t.kind == ksym::btf_kind::enum_ || t.kind == ksym::btf_kind::enum64) {
            for (const auto n : names) (void)ksym::enum_value(b, t.id, n);
            if (t.vlen > 0) {
                const auto n = b.data_word(t, 0);
                if (!n) __builtin_trap();
                const auto name = b.string_at(*n);
                if (name && !ksym::enum_value(b, t.id, *name)) __builtin_trap();
            }
        }
        return true;
    });
    if (walked != b.type_count()) __builtin_trap();

    std::array<ksym::btf_lookup, std::size(names)> look{};
    for (std::size_t i = 0; i < look.size(); ++i) look[i] = {names[i], 0xfffffu, 0};
    ksym::find_types(b, look);
    (void)ksym::find_enum_value(b, "MOD_TEXT");
    const auto l1 = ksym::module_layout_from_btf(b), l2 = ksym::module_layout_from_btf(ib);
    if (l1.has_value() != l2.has_value() || l1.error() != l2.error()) __builtin_trap();
    if (l1 && !(*l1 == *l2)) __builtin_trap();
    return 0;
}

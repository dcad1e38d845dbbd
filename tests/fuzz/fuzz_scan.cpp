// The map-free scanner and raw-image placement on arbitrary bytes. The first
// byte picks what the caller tells the scanner (word size, byte order); the
// rest is the image. Whatever it finds must be self-consistent: every array
// inside the input, and a table that opens, walks exactly `count` symbols
// and answers a lookup of its first name; placement must not crash either.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "ksym/arch/targets.hpp"
#include "ksym/image/load_address.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/scan.hpp"
#include "ksym/memory/buffer_reader.hpp"

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

template <class Arch>
void decode(std::span<const std::byte> image, const ksym::kallsyms_scan& sc) {
    static ksym::kallsyms_table<ksym::buffer_reader, Arch> table;
    ksym::buffer_reader at0(image, 0);
    ksym::resolve_hints hints;
    if (sc.layout.relative_base && sc.stored_relative_base == 0) hints.relative_base = 0;
    auto f = ksym::resolve_format<Arch>(at0, sc.layout, hints);
    if (!f) return;  // resolve may refuse what the scan accepted (widths it reads itself)
    require(f->count == sc.count);
    if (!table.open(at0, *f).ok()) return;
    ksym::name_buffer buf;
    std::uint32_t n = 0;
    std::string_view first;
    std::array<char, ksym::name_buffer_size> first_buf{};
    const ksym::status walk = table.for_each(buf, [&](const ksym::symbol& s) {
        if (n++ == 0) {
            for (std::size_t i = 0; i < s.name.size(); ++i) first_buf[i] = s.name[i];
            first = std::string_view(first_buf.data(), s.name.size());
        }
    });
    if (walk.ok()) {
        require(n == sc.count);
        auto hit = table.find_by_name(first, buf);
        require(hit.has_value() && hit->name == first);
    }
    static ksym::kallsyms_table<ksym::buffer_reader, Arch> workspace;
    (void)ksym::recover_load_address<Arch>(image, sc, ksym::r_aarch64_relative, workspace);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint8_t mode = data[0];
    const std::span<const std::byte> image(reinterpret_cast<const std::byte*>(data + 1), size - 1);
    ksym::scan_options o;
    if (mode & 1) o.word_bytes = mode & 2 ? 8 : 4;
    if (mode & 4) o.byte_order = mode & 8 ? std::endian::big : std::endian::little;
    const auto sc = ksym::scan_kallsyms(image, o);
    if (!sc) {
        require(sc.error() == ksym::errc::not_found);
        return 0;
    }
    const ksym::kallsyms_layout& l = sc->layout;
    for (std::uint64_t at : {l.num_syms, l.names, l.token_table, l.token_index}) require(at < image.size());
    for (auto at : {l.markers, l.addresses, l.offsets, l.relative_base, l.seqs_of_names})
        require(!at || *at < image.size());
    require(sc->count != 0);
    const bool be = sc->byte_order == std::endian::big;
    if (sc->word_bytes == 4) {
        if (be) decode<ksym::arch::generic<4, std::endian::big>>(image, *sc);
        else decode<ksym::arch::generic<4, std::endian::little>>(image, *sc);
    } else {
        if (be) decode<ksym::arch::generic<8, std::endian::big>>(image, *sc);
        else decode<ksym::arch::generic<8, std::endian::little>>(image, *sc);
    }
    return 0;
}

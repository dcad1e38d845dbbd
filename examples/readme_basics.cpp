// README's snippet on readers, the batch reader and the translator, built and run.
// [readme:basics]
#include <ksym.hpp>

#include <cstdio>

// Bytes from anywhere, placed at the address the kernel saw them at.
int read_markers(std::span<const std::byte> bytes, std::uint64_t addr) {
    ksym::buffer_reader mem(bytes, 0xffffffff81000000);
    // Read a target array in the target's byte order: one reader call.
    ksym::batch_reader<ksym::buffer_reader, ksym::arch::s390x> batch(mem);
    std::array<std::uint32_t, 256> markers;
    if (ksym::status s = batch.read_array(addr, std::span(markers)); !s) {
        std::printf("%s at %#llx\n", ksym::to_string(s.code()).data(), (unsigned long long)s.address());
        return 1;
    }
    return 0;
}

// What an nm letter or an ELF st_info byte means, at compile time.
static_assert(ksym::from_nm_type('t').kind == ksym::symbol_kind::func);
static_assert(ksym::from_st_info(0x12).binding == ksym::symbol_binding::global);
// [/readme:basics]

int main() {
    std::vector<std::byte> bytes(4096);
    // In range: succeeds. Past the end: a typed error naming the address.
    if (read_markers(bytes, 0xffffffff81000000) != 0) return 1;
    return read_markers(bytes, 0xffffffff81000c01) == 1 ? 0 : 1;
}

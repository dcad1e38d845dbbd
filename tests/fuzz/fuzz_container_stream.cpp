// libFuzzer target: bare compressed streams: every codec's header check,
// the xz footer search and the zstd block walk. The first input byte is a
// selector, the rest the file: selector % 8 picks a codec whose magic is
// stamped at the file's start (an xz header also gets its CRC, so the
// footer search runs); 7 leaves the file as it is. The file then goes
// through identify_container, and the stream-end walkers run on it directly.
#include <cstddef>
#include <cstdint>

#include "container_input.hpp"
#include "ksym/image/container.hpp"
#include "ksym/image/detail/stream_end.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    auto f = ksym_fuzz::copy_input(data + 1, size - 1);
    switch (data[0] % 8) {
    case 0: f.stamp(0, "\x1f\x8b\x08"); break;
    case 1: f.stamp(0, "BZh9"); break;
    case 2: f.stamp(0, std::string_view("\x5d\x00\x00", 3)); break;
    case 3:
        f.stamp(0, std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6));
        if (f.size >= 12) {
            const std::uint32_t crc = ksym::detail::crc32_at(f.span(), 6, 2);
            for (std::size_t i = 0; i < 4; ++i) f.bytes[8 + i] = static_cast<std::byte>(crc >> (8 * i));
        }
        break;
    case 4: f.stamp(0, std::string_view("\x89\x4c\x5a\x4f\x00\x0d\x0a\x1a\x0a", 9)); break;
    case 5: f.stamp(0, "\x02\x21\x4c\x18"); break;
    case 6: f.stamp(0, "\x28\xb5\x2f\xfd"); break;
    default: break;
    }
    const auto file = f.span();
    ksym_fuzz::check_answer(file, ksym::identify_container(file));
    if (auto end = ksym::detail::xz_stream_end(file); end && *end > file.size()) __builtin_trap();
    if (auto z = ksym::detail::zstd_frame(file); z && z->end > file.size()) __builtin_trap();
    if (auto s = ksym::detail::find_stream(file, 1, file.size()); s && (s->offset < 1 || s->offset >= file.size()))
        __builtin_trap();
    return 0;
}

// libFuzzer target: the EFI zboot header (and the raw arm64 and RISC-V
// Image magics beside it). The first input byte is a selector, the rest the
// file: an even selector stamps "MZ" and "zimg" in (zboot); odd leaves the
// file as it is.
#include <cstddef>
#include <cstdint>

#include "container_input.hpp"
#include "ksym/image/container.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    auto f = ksym_fuzz::copy_input(data + 1, size - 1);
    if ((data[0] & 1) == 0) {
        f.stamp(0, "MZ");
        f.stamp(4, "zimg");
    }
    ksym_fuzz::check_answer(f.span(), ksym::identify_container(f.span()));
    return 0;
}

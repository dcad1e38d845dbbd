// libFuzzer target: the arm zImage header, its table and the scan for the
// piggy behind the decompressor. Every input gets the zImage magic at 0x24.
#include <cstddef>
#include <cstdint>

#include "container_input.hpp"
#include "ksym/image/container.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto f = ksym_fuzz::copy_input(data, size);
    f.stamp(0x24, "\x18\x28\x6f\x01");
    ksym_fuzz::check_answer(f.span(), ksym::identify_container(f.span()));
    return 0;
}

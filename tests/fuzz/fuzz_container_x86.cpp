// libFuzzer target: the x86 bzImage setup header and its payload. Every
// input gets "HdrS" at 0x202, so it reaches the bzImage parser.
#include <cstddef>
#include <cstdint>

#include "container_input.hpp"
#include "ksym/image/container.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto f = ksym_fuzz::copy_input(data, size);
    f.stamp(0x202, "HdrS");
    ksym_fuzz::check_answer(f.span(), ksym::identify_container(f.span()));
    return 0;
}

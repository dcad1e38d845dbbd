// libFuzzer target: the s390x compressed image: the scan for the stream
// behind the decompressor, the Secure Boot trailer, xz footers and zstd
// blocks. The input is the file from 0x10000 on (zeros before it, so
// inputs stay small), with "S390EP" stamped at 0x10008.
#include <cstddef>
#include <cstdint>

#include "container_input.hpp"
#include "ksym/image/container.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto f = ksym_fuzz::copy_input(data, size, 0x10000);
    f.stamp(0x10008, "S390EP");
    ksym_fuzz::check_answer(f.span(), ksym::identify_container(f.span()));
    return 0;
}

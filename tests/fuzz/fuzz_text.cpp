// libFuzzer target: the text parsers (System.map / nm / /proc/kallsyms
// lines, VMCOREINFO) and layout discovery over hostile text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ksym/core/kernel_version.hpp"
#include "ksym/kallsyms/discover.hpp"
#include "ksym/text/nm_text.hpp"
#include "ksym/vmcoreinfo/vmcoreinfo.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::size_t lines = 0;
    (void)ksym::for_each_nm_line(text, [&](const ksym::nm_line& l) {
        // Views must point into the input.
        if (l.name.data() < text.data() || l.name.data() + l.name.size() > text.data() + text.size()) __builtin_trap();
        ++lines;
    });
    (void)ksym::layout_from_system_map(text);
    (void)ksym::layout_from_vmcoreinfo(text);
    if (auto v = ksym::vmcoreinfo_value(text, "OSRELEASE")) (void)ksym::kernel_version::parse(*v);
    (void)ksym::kernel_version::parse(text);
    return 0;
}

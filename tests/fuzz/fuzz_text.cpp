// libFuzzer target: the text parsers (System.map / nm / /proc/kallsyms
// lines, VMCOREINFO) and stage 1 (locate) over hostile text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ksym/core/kernel_version.hpp"
#include "ksym/kallsyms/locate.hpp"
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
    // A location's anchors must point into the input (names come from it)
    // or be the fixed anchor names; VMCOREINFO never gives markers or seqs.
    auto check = [&](const ksym::result<ksym::kallsyms_location>& loc) {
        if (!loc) return;
        if (loc->known_count > loc->known.size()) __builtin_trap();
        for (const auto& k : loc->anchors())
            if (k.name.empty() || !loc->anchor(k.name) || *loc->anchor(k.name) != k.address) __builtin_trap();
        if (!loc->layout.addresses && !loc->layout.offsets) __builtin_trap();
    };
    const auto located = ksym::locate_in_system_map(text);
    check(located);
    // Two paths read a map: most lines are skipped by their name's end,
    // found a word at a time; others are read whole. With CRLF line ends
    // every line is read whole, and the answer must not change.
    if (text.find('\r') == std::string_view::npos) {
        std::string crlf;
        for (const char c : text) {
            if (c == '\n') crlf += '\r';
            crlf += c;
        }
        const auto whole = ksym::locate_in_system_map(crlf);
        if (bool(located) != bool(whole)) __builtin_trap();
        if (!located && located.error().code() != whole.error().code()) __builtin_trap();
        if (located) {
            if (!(located->layout == whole->layout) || located->known_count != whole->known_count) __builtin_trap();
            for (std::size_t i = 0; i < located->known_count; ++i)
                if (located->known[i].name != whole->known[i].name || located->known[i].address != whole->known[i].address)
                    __builtin_trap();
        }
    }
    auto vmci = ksym::locate_in_vmcoreinfo(text);
    check(vmci);
    if (vmci && (vmci->layout.markers || vmci->layout.seqs_of_names)) __builtin_trap();
    if (auto v = ksym::vmcoreinfo_value(text, "OSRELEASE")) (void)ksym::kernel_version::parse(*v);
    (void)ksym::kernel_version::parse(text);
    return 0;
}

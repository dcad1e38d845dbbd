// libFuzzer target: /proc/kallsyms text. Parsing must give a typed error or
// a listing whose indexed lookups agree with a plain scan of the same lines:
// by name (the kernel image's first, then the modules' in listing order) and
// by address (the first listed of the highest address at or below).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ksym/text/proc_kallsyms.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    ksym::proc_kallsyms k;
    if (!k.open(text).ok()) return 0;
    static std::vector<std::uint64_t> storage;
    storage.assign(k.index_words(), 0);
    if (!k.build(storage).ok()) __builtin_trap();
    std::vector<ksym::kallsyms_line> lines;
    k.for_each([&](const ksym::kallsyms_line& l) { lines.push_back(l); });
    if (lines.size() != k.size()) __builtin_trap();
    for (std::size_t i = 0; i < lines.size() && i < 64; ++i) {
        const auto& l = lines[i];
        // Reference answer by name: kernel lines first, then modules, each in order.
        const ksym::kallsyms_line* want = nullptr;
        for (const auto& m : lines)
            if (m.name == l.name && m.module.empty()) { want = &m; break; }
        if (!want)
            for (const auto& m : lines)
                if (m.name == l.name) { want = &m; break; }
        auto s = k.find_by_name(l.name);
        if (k.addresses_hidden()) {
            if (s) __builtin_trap();
            continue;
        }
        if (!s || s->name != l.name || s->address != want->address || s->module != want->module) __builtin_trap();
        // Reference answer by address.
        const ksym::kallsyms_line* at = nullptr;
        for (const auto& m : lines)
            if (m.address <= l.address && (!at || m.address > at->address)) at = &m;
        auto a = k.find_by_address(l.address);
        if (!a || a->sym.address != at->address || a->offset != 0 || a->sym.name != at->name) __builtin_trap();
    }
    return 0;
}

// libFuzzer target: /proc/kallsyms text. Parsing must give a typed error or
// a listing whose indexed lookups agree with a plain scan of the same lines:
// by name (the kernel image's first, then the modules' in listing order) and
// by address (the first listed of the highest address at or below).
#include <cstddef>
#include <cstdint>
#include <string>
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
    // Sizes: the gap to the next higher address of the same module.
    auto want_size = [&](const ksym::kallsyms_line& l) {
        std::uint64_t best = 0;
        for (const auto& m : lines)
            if (m.module == l.module && m.address > l.address && (best == 0 || m.address - l.address < best))
                best = m.address - l.address;
        return best;
    };
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
        if (!s || s->name != l.name || s->address != want->address || s->module != want->module ||
            s->size != want_size(*want))
            __builtin_trap();
        // module:name (split at the first colon: skip module names with one)
        if (!l.module.empty() && l.module.find(':') == std::string_view::npos) {
            const std::string q = std::string(l.module) + ":" + std::string(l.name);
            const ksym::kallsyms_line* first = nullptr;
            for (const auto& m : lines)
                if (m.name == l.name && m.module == l.module) { first = &m; break; }
            auto mq = k.find_by_name(q);
            bool listed = false;  // "mod:name" is itself a listed name: that wins
            for (const auto& m : lines) listed = listed || m.name == q;
            if (!listed && (!mq || mq->address != first->address || mq->module != l.module || mq->name != l.name))
                __builtin_trap();
        }
        // Reference answer by address.
        const ksym::kallsyms_line* at = nullptr;
        for (const auto& m : lines)
            if (m.address <= l.address && (!at || m.address > at->address)) at = &m;
        auto a = k.find_by_address(l.address);
        if (!a || a->sym.address != at->address || a->offset != 0 || a->sym.name != at->name ||
            a->sym.size != want_size(*at))
            __builtin_trap();
    }
    return 0;
}

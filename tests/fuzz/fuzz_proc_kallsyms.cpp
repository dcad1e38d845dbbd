// libFuzzer target: /proc/kallsyms text. Three paths must agree: a plain
// byte-at-a-time reading of the format written here, the library's
// word-at-a-time parser (open(text), then build()), and its one-pass
// open(text, storage). The indexed lookups must agree with a plain scan of
// the same lines: by name (the kernel image's first, then the modules' in
// listing order) and by address (the first listed of the highest address at
// or below).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksym/text/proc_kallsyms.hpp"

namespace {

// The format, read the slow and obvious way: 8 or 16 hex digits (the first
// line's width for all), a blank, a printable type, a blank, a name of
// 1..511 bytes above the blank and not DEL, an optional tab and bracketed
// module name of the same bytes less brackets, then LF, CRLF or the end.
// Empty lines are skipped. Returns the lines, or the offset of the first bad one.
struct reference {
    std::vector<ksym::kallsyms_line> lines;
    std::optional<std::size_t> bad;
};
reference read_reference(std::string_view t) {
    reference r;
    unsigned digits = 0;
    std::size_t pos = 0;
    auto name_byte = [](char c) { return static_cast<unsigned char>(c) > 0x20 && c != 0x7f; };
    while (pos < t.size()) {
        if (t[pos] == '\n') {
            ++pos;
            continue;
        }
        std::size_t eol = t.find('\n', pos);
        if (eol == std::string_view::npos) eol = t.size();
        std::string_view line = t.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (digits == 0) digits = line.size() > 16 && line[16] == ' ' ? 16 : line.size() > 8 && line[8] == ' ' ? 8 : 0;
        ksym::kallsyms_line l;
        bool ok = digits != 0 && line.size() > digits + 3 && line[digits] == ' ' && line[digits + 2] == ' ';
        for (unsigned i = 0; ok && i < digits; ++i) {
            const auto c = static_cast<unsigned char>(line[i]);
            const unsigned d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10u : c >= 'A' && c <= 'F' ? c - 'A' + 10u : 99u;
            ok = d < 16;
            l.address = l.address << 4 | d;
        }
        if (ok) {
            l.type = line[digits + 1];
            ok = l.type > ' ' && l.type <= '~';
            std::size_t i = digits + 3;
            while (i < line.size() && name_byte(line[i])) ++i;
            l.name = line.substr(digits + 3, i - digits - 3);
            ok = ok && !l.name.empty() && l.name.size() < 512;
            if (ok && i < line.size()) {
                ok = line[i] == '\t' && i + 2 < line.size() && line[i + 1] == '[' && line.back() == ']';
                if (ok) l.module = line.substr(i + 2, line.size() - i - 3);
                for (const char c : l.module) ok = ok && name_byte(c) && c != '[' && c != ']';
                ok = ok && !l.module.empty() && l.module.size() < 512;
            }
        }
        if (!ok) {
            r.bad = pos;
            return r;
        }
        l.digits = static_cast<std::uint8_t>(digits);
        r.lines.push_back(l);
        pos = eol + 1;
    }
    return r;
}

bool same(const ksym::kallsyms_line& a, const ksym::kallsyms_line& b) {
    return a.address == b.address && a.type == b.type && a.name == b.name && a.module == b.module && a.digits == b.digits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const reference ref = read_reference(text);
    ksym::proc_kallsyms k;
    const ksym::status opened = k.open(text);
    if (ref.bad) {
        // The library may not accept what the plain reading refuses, and
        // names the same line.
        if (opened.ok() || opened.code() != ksym::errc::corrupt || opened.address() != *ref.bad) __builtin_trap();
        return 0;
    }
    if (ref.lines.empty()) {
        if (opened != ksym::errc::not_found) __builtin_trap();
        return 0;
    }
    if (!opened.ok()) __builtin_trap();
    static std::vector<std::uint64_t> storage;
    storage.assign(k.index_words(), 0);
    if (!k.build(storage).ok()) __builtin_trap();
    std::vector<ksym::kallsyms_line> lines;
    k.for_each([&](const ksym::kallsyms_line& l) { lines.push_back(l); });
    if (lines.size() != k.size() || lines.size() != ref.lines.size()) __builtin_trap();
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (!same(lines[i], ref.lines[i])) __builtin_trap();
    // The one-pass open answers as open + build does.
    ksym::proc_kallsyms one;
    static std::vector<std::uint64_t> storage1;
    // storage_words counts newlines (empty lines too); index_words() is the
    // exact need, and a word less does not do.
    storage1.assign(ksym::proc_kallsyms::storage_words(text), 0);
    if (storage1.size() < k.index_words()) __builtin_trap();
    if (one.open(text, std::span(storage1).first(k.index_words() - 1)) != ksym::errc::capacity) __builtin_trap();
    if (!one.open(text, std::span(storage1).first(k.index_words())).ok() || one.size() != k.size()) __builtin_trap();
    if (!one.open(text, storage1).ok() || one.size() != k.size()) __builtin_trap();
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
        auto a1 = one.find_by_address(l.address);
        auto s1 = one.find_by_name(l.name);
        if (!a1 || !a || !(a1->sym == a->sym) || bool(s) != bool(s1) || (s && !(*s == *s1))) __builtin_trap();
        if (!a || a->sym.address != at->address || a->offset != 0 || a->sym.name != at->name ||
            a->sym.size != want_size(*at))
            __builtin_trap();
    }
    return 0;
}

// The running kernel, or a saved copy of its /proc/kallsyms:
//   ksym lookup [--kallsyms FILE] QUERY...   NAME, module:NAME, NAME+0xOFF or 0xADDR
//   ksym dump [--kallsyms FILE]              the listing, checked and re-printed
//   ksym info [--kallsyms FILE]              what the listing holds
#include <cinttypes>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "ksym/text/nm_text.hpp"
#include "ksym/text/proc_kallsyms.hpp"

namespace ksym_cli {

namespace {

// Reads and checks the listing, indexing it in the same pass; 0 or the exit status after one line on stderr.
// Without `index`, the listing is only checked (dump and info need no lookups).
// The index storage is left uninitialised: the open writes all it reads.
int open_listing(const char* path, file_text& text, ksym::proc_kallsyms& k, huge_buffer* index) {
    if (!text.open(path)) return fail(path, std::strerror(errno));
    const auto words = [&] { return index->words(ksym::proc_kallsyms::storage_words(text.view())); };
    if (ksym::status s = index ? k.open(text.view(), words()) : k.open(text.view()); !s) {
        if (s == ksym::errc::not_found) return fail(path, "empty");
        return fail(path, "not /proc/kallsyms text", s);
    }
    if (k.addresses_hidden())
        return fail(path, "every address reads 0: kptr_restrict hides them (run as root, or set "
                          "/proc/sys/kernel/kptr_restrict to 0)");
    return 0;
}

void print(const ksym::symbol& s, std::uint64_t offset, unsigned digits) {
    std::printf("%0*" PRIx64 " %c %.*s+0x%" PRIx64 "/0x%" PRIx64, int(digits), s.address, s.type, int(s.name.size()),
                s.name.data(), offset, s.size);
    if (!s.module.empty()) std::printf(" [%.*s]", int(s.module.size()), s.module.data());
    std::printf("\n");
}

}  // namespace

int live_lookup(const char* path, const std::vector<const char*>& queries) {
    file_text text;
    ksym::proc_kallsyms k;
    huge_buffer index;
    if (const int rc = open_listing(path, text, k, &index)) return rc;
    int status = 0;
    for (const char* q : queries) {
        std::string_view query = q;
        ksym::result<ksym::address_match> m = ksym::status{ksym::errc::not_found};
        if (query.size() > 2 && query[0] == '0' && (query[1] == 'x' || query[1] == 'X')) {
            if (auto a = ksym::parse_hex(query.substr(2))) m = k.find_by_address(*a);
        } else {
            // NAME+0xOFF: the symbol that holds that many bytes past NAME.
            std::uint64_t off = 0;
            if (const std::size_t plus = query.rfind("+0x"); plus != std::string_view::npos) {
                if (auto o = ksym::parse_hex(query.substr(plus + 3))) {
                    off = *o;
                    query = query.substr(0, plus);
                }
            }
            if (auto s = k.find_by_name(query)) {
                if (off == 0) m = ksym::address_match{*s, 0};
                else m = k.find_by_address(s->address + off);
            }
        }
        if (!m) {
            std::fprintf(stderr, "ksym: %s: no symbol %s\n", path, q);
            status = exit_not_found;
            continue;
        }
        print(m->sym, m->offset, k.address_digits());
    }
    return status;
}

int live_dump(const char* path) {
    file_text text;
    ksym::proc_kallsyms k;
    if (const int rc = open_listing(path, text, k, nullptr)) return rc;
    line_buffer out;
    k.for_each([&](const ksym::kallsyms_line& l) {
        ksym::symbol s;
        s.address = l.address;
        s.type = l.type;
        s.name = l.name;
        s.module = l.module;
        out.add(s, int(l.digits));
    });
    out.write(stdout);
    return 0;
}

int live_info(const char* path) {
    file_text text;
    ksym::proc_kallsyms k;
    if (const int rc = open_listing(path, text, k, nullptr)) return rc;
    std::size_t in_modules = 0, modules = 0;
    std::string_view last;
    k.for_each([&](const ksym::kallsyms_line& l) {
        if (l.module.empty()) return;
        ++in_modules;
        if (l.module != last) ++modules;
        last = l.module;
    });
    std::printf("format: /proc/kallsyms\nsource: %s\nsymbols: %zu\nkernel symbols: %zu\nmodule symbols: %zu in %zu "
                "modules\naddress digits: %u\n",
                path, k.size(), k.size() - in_modules, in_modules, modules, k.address_digits());
    return 0;
}

}  // namespace ksym_cli

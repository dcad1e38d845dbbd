// README's snippet on /proc/kallsyms, built and run: on this machine's
// listing where it is readable with real addresses, else on a saved one.
#include <ksym.hpp>

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <string>
#include <unistd.h>

// [readme:proc]
// An eBPF loader's question: where is `name`, and what holds `addr`?
// `text` is /proc/kallsyms as read (one read loop); nothing is copied.
int resolve(std::string_view text, std::string_view name, std::uint64_t addr) {
    ksym::proc_kallsyms k;
    const std::size_t words = ksym::proc_kallsyms::storage_words(text);  // ~4.25 a line
    std::unique_ptr<std::uint64_t[]> storage(new std::uint64_t[words]);  // the caller's memory
    if (ksym::status s = k.open(text, {storage.get(), words}); !s) {   // checks and indexes, one pass
        std::printf("%s at byte %llu\n", ksym::to_string(s.code()).data(), (unsigned long long)s.address());
        return 1;
    }
    if (k.addresses_hidden()) return 2;                                // kptr_restrict: every address 0
    auto sym = k.find_by_name(name);                                   // "ext4:name" for a module's
    auto hit = k.find_by_address(addr);                                // ->sym {address, size, type, name, module}
    if (!sym || !hit) return 1;
    std::printf("%.*s at %#llx; %#llx is %.*s+%#llx [%.*s]\n", int(name.size()), name.data(),
                (unsigned long long)sym->address, (unsigned long long)addr, int(hit->sym.name.size()),
                hit->sym.name.data(), (unsigned long long)hit->offset, int(hit->sym.module.size()),
                hit->sym.module.data());
    return 0;
}
// [/readme:proc]

int main() {
    std::string text;
    if (const int fd = ::open("/proc/kallsyms", O_RDONLY | O_CLOEXEC); fd >= 0) {
        char buf[1 << 16];
        for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
        ::close(fd);
    }
    ksym::proc_kallsyms probe;
    if (!probe.open(text) || probe.addresses_hidden()) {
        text = "ffffffff81000000 T _text\n"
               "ffffffff81001000 T schedule\n"
               "ffffffff81001400 T vfs_read\n"
               "ffffffffc0002000 t ext4_fill_super\t[ext4]\n";
        return resolve(text, "schedule", 0xffffffffc0002010);
    }
    std::vector<std::uint64_t> storage(probe.index_words());
    if (!probe.build(storage)) return 1;
    auto s = probe.find_by_name("schedule");
    return s ? resolve(text, "schedule", s->address + 0x10) : 1;
}

// The loaded modules of a crash dump, for the commands that print or look
// up module symbols: BTF, layout and list head found once, storage held in
// vectors (the tool may allocate; the library does not).
#pragma once

#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "ksym/modules/loaded.hpp"
#include "ksym/pipeline/kernel_modules.hpp"

namespace ksym_cli {

template <class Arch>
struct module_context {
    ksym::reader_ref reader;
    std::vector<std::byte> chunk = std::vector<std::byte>(1 << 20);
    std::vector<std::byte> btf;
    std::vector<std::byte> table;  // one module's symbols at a time
    std::vector<ksym::module_info> infos = std::vector<ksym::module_info>(ksym::max_modules);
    ksym::module_layout layout;
    ksym::located<ksym::memory_extent> btf_at;
    ksym::located<std::uint64_t> head;
    ksym::loaded_modules<ksym::reader_ref, Arch> mods;
    std::string failure;  // why the modules could not be read ("" when they could)

    // Storage for the largest table among the modules: a core table lies
    // in its module's memory, so that much more always holds its strings
    // however long its names.
    std::span<std::byte> storage() {
        std::uint64_t most = 0;
        for (const auto& m : mods.modules()) {
            std::uint64_t in_memory = 0;
            for (const auto& r : m.memory()) in_memory += r.size;
            most = std::max(most, mods.table_storage(m) + std::min<std::uint64_t>(in_memory, 1ull << 30));
        }
        if (table.size() < most) table.resize(static_cast<std::size_t>(most));
        return table;
    }

    // Finds and walks the modules of `d` using its built-in `builtin`.
    template <class Dump, class Table>
    ksym::status open(Dump& d, Table& builtin) {
        reader = d.reader();
        const auto version = ksym::kernel_version::parse(d.vmcoreinfo().osrelease);
        auto where = ksym::locate_vmlinux_btf<Arch>(reader, builtin, chunk);
        if (!where) return failed("module symbols need the kernel's BTF, and none was found", where.error());
        btf_at = *where;
        btf.resize(static_cast<std::size_t>(btf_at.value.size));
        if (ksym::status s = reader.read(btf_at.value.address, btf); !s) return failed("the kernel's BTF is unreadable", s);
        auto L = ksym::module_layout_for<Arch>(btf, version);
        if (!L) return failed("no struct module layout in the kernel's BTF", L.error());
        layout = *L;
        std::vector<std::byte> work(layout.module_size);
        auto h = ksym::locate_modules_head<Arch>(reader, builtin, layout, btf_at.value, chunk, work);
        if (!h) return failed("the modules list was not found (no `modules` symbol, and no list in the scanned data)", h.error());
        head = *h;
        if (ksym::status s = mods.open(reader, layout, head.value, version, infos, work); !s)
            return failed("the modules list is unreadable", s);
        return {};
    }

    ksym::status failed(const char* why, ksym::status s) {
        failure = why;
        return s;
    }
};

/// /proc/modules' word for a module state.
inline const char* state_name(const ksym::module_layout& L, std::int64_t s) {
    if (s == L.states.live) return "Live";
    if (s == L.states.coming) return "Loading";
    if (s == L.states.going) return "Unloading";
    return "Unformed";
}

}  // namespace ksym_cli

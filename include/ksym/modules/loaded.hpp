#pragma once
// The loaded modules of a kernel, as one symbol source: walked once into
// caller storage, each module's table read when a lookup needs it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "ksym/arch/traits.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/kernel_version.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/modules/layout.hpp"
#include "ksym/modules/symbols.hpp"
#include "ksym/modules/walk.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym {

/// The modules on a kernel's `modules` list and their symbols. open() walks
/// the list once into caller storage (one module_info per module); symbol
/// lookups then read one module's table into caller storage, so nothing
/// allocates and the object holds no target memory. One thread at a time.
template <MemoryReader R, ArchTraits Arch>
class loaded_modules {
public:
    /// Walks the list at `head` (the `modules` symbol) with layout `L`
    /// (which must outlive this object), keeping up to `storage.size()`
    /// modules (more give `capacity`). `version` picks where the letters
    /// live when the layout has no typetab. `work` holds one struct module.
    constexpr status open(R& reader, const module_layout& L, std::uint64_t head, kernel_version version,
                          std::span<module_info> storage, std::span<std::byte> work) {
        reader_ = &reader;
        L_ = &L;
        letters_ = module_letters_for(L, version);
        count_ = 0;
        modules_ = storage;
        return walk_modules<Arch>(reader, L, head, work, [&](const module_info& m) -> status {
            if (count_ == storage.size()) return {errc::capacity, m.address};
            storage[count_++] = m;
            return {};
        });
    }

    /// The modules in list order (the order /proc/kallsyms prints them).
    [[nodiscard]] constexpr std::span<const module_info> modules() const noexcept { return modules_.first(count_); }
    [[nodiscard]] constexpr module_letters letters() const noexcept { return letters_; }
    [[nodiscard]] constexpr const module_layout& layout() const noexcept { return *L_; }

    /// Storage a table() of module `m` needs at most.
    [[nodiscard]] constexpr std::uint64_t table_storage(const module_info& m) const noexcept {
        return module_symbols<R, Arch>::storage_for(*L_, m);
    }

    /// Reads the symbol table of `m` into `storage` (see module_symbols).
    constexpr status table(const module_info& m, std::span<std::byte> storage, module_symbols<R, Arch>& out) const {
        return out.load(*reader_, *L_, m, letters_, storage);
    }

    /// Every module symbol, module by module in list order, each module's in
    /// table order: the module lines of /proc/kallsyms. `storage` holds one
    /// module's table at a time. Same visit rules as kallsyms_table::for_each.
    template <class Visit>
    constexpr status for_each(std::span<std::byte> storage, Visit&& visit) const {
        bool stop = false;
        for (const module_info& m : modules()) {
            module_symbols<R, Arch> t;
            if (status s = table(m, storage, t); !s) return s;
            const status s = t.for_each([&](const symbol& sym) -> status {
                if constexpr (std::is_same_v<decltype(visit(sym)), bool>) {
                    if (!visit(sym)) stop = true;
                    return stop ? status{errc::not_found} : status{};
                } else if constexpr (std::is_same_v<decltype(visit(sym)), status>) {
                    return visit(sym);
                } else {
                    visit(sym);
                    return {};
                }
            });
            if (stop) return {};
            if (!s) return s;
        }
        return {};
    }

    /// The module named `module`, or nullptr.
    [[nodiscard]] constexpr const module_info* find_module(std::string_view module) const noexcept {
        for (const module_info& m : modules())
            if (m.name() == module) return &m;
        return nullptr;
    }

    /// The module whose memory holds `addr`, or nullptr.
    [[nodiscard]] constexpr const module_info* module_at(std::uint64_t addr) const noexcept {
        for (const module_info& m : modules())
            if (m.contains(addr)) return &m;
        return nullptr;
    }

    /// `name` in module `module`, or (module empty) in the first module
    /// that has it. The symbol's name points into `storage`.
    constexpr result<symbol> find_by_name(std::string_view module, std::string_view name, std::span<std::byte> storage,
                                          module_symbols<R, Arch>& t) const {
        for (const module_info& m : modules()) {
            if (!module.empty() && m.name() != module) continue;
            if (status s = table(m, storage, t); !s) return s;
            auto r = t.find_by_name(name);
            if (r || r.error() != errc::not_found) return r;
            if (!module.empty()) break;
        }
        return status{errc::not_found};
    }

    /// The module symbol containing `addr`: from the module whose memory
    /// holds it. not_found outside every module.
    constexpr result<address_match> find_by_address(std::uint64_t addr, std::span<std::byte> storage,
                                                    module_symbols<R, Arch>& t) const {
        const module_info* m = module_at(addr);
        if (m == nullptr) return status{errc::not_found};
        if (status s = table(*m, storage, t); !s) return s;
        return t.find_by_address(addr);
    }

private:
    R* reader_ = nullptr;
    const module_layout* L_ = nullptr;
    module_letters letters_ = module_letters::typetab;
    std::span<module_info> modules_{};
    std::size_t count_ = 0;
};

}  // namespace ksym

#pragma once
// A reader that asks a host debugger for memory through a C-style callback.

#include <cstddef>
#include <cstdint>
#include <span>

#include "ksym/core/errc.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// Adapts a plain function pointer plus context, the shape every debugger
/// plugin API offers, into a MemoryReader. The callback returns true when it
/// filled all `len` bytes; on false it may set `*fault_addr` to the first
/// address it could not read (left at `addr` otherwise).
class callback_reader {
public:
    using callback = bool (*)(void* ctx, std::uint64_t addr, std::byte* out, std::size_t len,
                              std::uint64_t* fault_addr);

    constexpr callback_reader(callback fn, void* ctx) noexcept : fn_(fn), ctx_(ctx) {}

    status read(std::uint64_t addr, std::span<std::byte> out) const {
        if (out.empty()) return {};
        if (!range_fits(addr, out.size())) return status::fault(addr);
        if (fn_ == nullptr) return {errc::invalid_argument};
        std::uint64_t where = addr;
        if (fn_(ctx_, addr, out.data(), out.size(), &where)) return {};
        // A host that reports a fault outside the request is wrong; clamp to the request.
        if (where < addr || where - addr >= out.size()) where = addr;
        return status::fault(where);
    }

private:
    callback fn_;
    void* ctx_;
};

static_assert(MemoryReader<callback_reader>);

}  // namespace ksym

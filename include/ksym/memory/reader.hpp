#pragma once
// The MemoryReader concept: where ksym gets its bytes.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ksym/core/errc.hpp"

namespace ksym {

/// A source of target memory. `read(addr, out)` fills all of `out` with the
/// bytes at addresses [addr, addr + out.size()) and returns ok, or returns a
/// non-ok status saying why not (a `fault` names the first address it could
/// not serve). A reader must not write outside `out`, and must treat an
/// address range that wraps past 2^64 as a fault.
template <class R>
concept MemoryReader = requires(R& r, std::uint64_t addr, std::span<std::byte> out) {
    { r.read(addr, out) } -> std::same_as<status>;
};

/// A reader that can also lend its own memory: `view(addr, len)` returns
/// bytes it holds starting at `addr`, at least `len` of them (more when its
/// memory runs on, so one view can serve a whole array), or an empty span
/// when it cannot lend that much. Views stay valid while the reader lives
/// and is not modified. The decoder reads through views in place and
/// copies only from readers that cannot lend.
template <class R>
concept LendingReader = MemoryReader<R> && requires(const R& r, std::uint64_t addr, std::size_t len) {
    { r.view(addr, len) } -> std::same_as<std::span<const std::byte>>;
};

/// True when [addr, addr + len) does not wrap around the 64-bit address space.
[[nodiscard]] constexpr bool range_fits(std::uint64_t addr, std::uint64_t len) noexcept {
    return len == 0 || addr <= UINT64_MAX - (len - 1);
}

/// A non-owning, type-erased reference to any MemoryReader: two pointers, no
/// allocation. Used where readers of different types must sit side by side
/// (segment maps). The referenced reader must outlive the reference.
class reader_ref {
public:
    /// A reference to nothing: every read fails with `invalid_argument`.
    constexpr reader_ref() noexcept = default;

    template <MemoryReader R>
        requires(!std::same_as<R, reader_ref>)
    constexpr reader_ref(R& r) noexcept  // NOLINT: implicit by design
        : obj_(&r), fn_([](void* o, std::uint64_t a, std::span<std::byte> out) {
              return static_cast<R*>(o)->read(a, out);
          }) {
        if constexpr (LendingReader<R>) {
            view_ = [](void* o, std::uint64_t a, std::size_t len) { return static_cast<const R*>(o)->view(a, len); };
        }
    }

    /// Forwards to the referenced reader.
    constexpr status read(std::uint64_t addr, std::span<std::byte> out) const {
        if (fn_ == nullptr) return {errc::invalid_argument};
        return fn_(obj_, addr, out);
    }

    /// Forwards to the referenced reader when it lends (LendingReader); an
    /// empty span otherwise.
    [[nodiscard]] constexpr std::span<const std::byte> view(std::uint64_t addr, std::size_t len) const {
        if (view_ == nullptr) return {};
        return view_(obj_, addr, len);
    }

private:
    void* obj_ = nullptr;
    status (*fn_)(void*, std::uint64_t, std::span<std::byte>) = nullptr;
    std::span<const std::byte> (*view_)(void*, std::uint64_t, std::size_t) = nullptr;
};

}  // namespace ksym

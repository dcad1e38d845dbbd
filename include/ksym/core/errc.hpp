#pragma once
// Error codes and the status type every fallible ksym call returns.

#include <cstdint>
#include <string_view>

namespace ksym {

/// Why an operation failed. Kept small and stable: callers switch on it.
enum class errc : std::uint8_t {
    ok = 0,
    fault,              ///< the memory at an address could not be read
    truncated,          ///< input ended before a structure it declares
    corrupt,            ///< input is self-inconsistent (bad magic, impossible count, ...)
    unsupported,        ///< valid input in a form ksym does not handle
    not_found,          ///< a lookup found nothing
    invalid_argument,   ///< the caller passed something unusable
    capacity,           ///< a caller-sized fixed buffer is too small
    io_error,           ///< the operating system refused (open, pread, ...)
    unmapped,           ///< a virtual address the page tables do not map (the address is the virtual one)
    excluded,           ///< memory the dump left out (filtered or missing pages); the address is physical
};

/// Short, stable English name of an error code ("fault", "corrupt", ...).
[[nodiscard]] constexpr std::string_view to_string(errc e) noexcept {
    switch (e) {
    case errc::ok: return "ok";
    case errc::fault: return "fault";
    case errc::truncated: return "truncated";
    case errc::corrupt: return "corrupt";
    case errc::unsupported: return "unsupported";
    case errc::not_found: return "not found";
    case errc::invalid_argument: return "invalid argument";
    case errc::capacity: return "capacity exceeded";
    case errc::io_error: return "I/O error";
    case errc::unmapped: return "unmapped";
    case errc::excluded: return "excluded from the dump";
    }
    return "unknown error";
}

/// Outcome of an operation: ok, or an error code with the address it concerns.
///
/// The address is meaningful for `fault` (first byte that could not be read),
/// `truncated` and `corrupt` (where the bad data sits); 0 otherwise. Sixteen
/// bytes, trivially copyable, no allocation, usable in constant expressions.
class [[nodiscard]] status {
public:
    constexpr status() noexcept = default;
    constexpr status(errc code, std::uint64_t address = 0) noexcept  // NOLINT: implicit by design
        : address_(address), code_(code) {}

    /// A read of `address` failed.
    [[nodiscard]] static constexpr status fault(std::uint64_t address) noexcept {
        return {errc::fault, address};
    }

    [[nodiscard]] constexpr bool ok() const noexcept { return code_ == errc::ok; }
    constexpr explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] constexpr errc code() const noexcept { return code_; }
    [[nodiscard]] constexpr std::uint64_t address() const noexcept { return address_; }

    friend constexpr bool operator==(const status&, const status&) noexcept = default;
    friend constexpr bool operator==(const status& s, errc e) noexcept { return s.code_ == e; }

private:
    std::uint64_t address_ = 0;
    errc code_ = errc::ok;
};

}  // namespace ksym

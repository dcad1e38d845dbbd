#pragma once
// result<T>: a value or a status, without exceptions or RTTI.

#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

#include "ksym/core/errc.hpp"

namespace ksym {

namespace detail {

// Where a result keeps its value. A trivially copyable, default-constructible
// T is a plain member: constant evaluation can build and assign it, so
// lookups answering with such types (symbol, address_match, record) work at
// compile time. A union member of such a type could only be started by
// placement new, which constant evaluation refuses, or by std::construct_at,
// whose <memory> (iostream dependencies) would cost every including
// translation unit a third of its compile time. Other T live in a union,
// built from a value in the initialiser list (so that works at compile time
// too), copied with placement new, and destroyed by the owning result.
template <class T, bool Plain = std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T>>
struct result_slot {
    T value{};
    constexpr result_slot() = default;
    constexpr explicit result_slot(T&& v) : value(std::move(v)) {}
    constexpr result_slot(const result_slot& o, bool /*has*/) : value(o.value) {}
    constexpr void assign(T&& v) { value = std::move(v); }
    constexpr void destroy() noexcept {}
};

template <class T>
struct result_slot<T, false> {
    union {
        T value;
    };
    constexpr result_slot() noexcept {}
    // Initialised in the list, not by placement new: a value of a literal T
    // (one with optional members, say) can then be made at compile time.
    constexpr explicit result_slot(T&& v) : value(std::move(v)) {}
    result_slot(const result_slot& o, bool has) {
        if (has) ::new (static_cast<void*>(&value)) T(o.value);
    }
    result_slot(result_slot&& o, bool has) {
        if (has) ::new (static_cast<void*>(&value)) T(std::move(o.value));
    }
    result_slot(const result_slot&) = delete;
    result_slot& operator=(const result_slot&) = delete;
    constexpr ~result_slot() {}  // the owning result destroys the value
    void assign(T&& v) { ::new (static_cast<void*>(&value)) T(std::move(v)); }  // into a destroyed slot
    constexpr void destroy() noexcept { value.~T(); }
};

}  // namespace detail

/// Holds either a T or a non-ok status. Usable in constant expressions for
/// literal T. Accessing the value of an error result is a contract violation:
/// it aborts (there are no exceptions to throw).
template <class T>
class [[nodiscard]] result {
    static_assert(!std::is_reference_v<T>, "result<T&> is not supported; use a pointer");

public:
    /// An ok result holding `v`.
    constexpr result(T v) noexcept(std::is_nothrow_move_constructible_v<T>)  // NOLINT: implicit
        : slot_(std::move(v)), st_{}, has_(true) {}
    /// An error result. `s` must not be ok.
    constexpr result(status s) noexcept : st_(s.ok() ? status{errc::invalid_argument} : s) {}  // NOLINT
    constexpr result(errc e) noexcept : result(status{e}) {}                                   // NOLINT

    constexpr result(const result& o) noexcept(std::is_nothrow_copy_constructible_v<T>)
        : slot_(o.slot_, o.has_), st_(o.st_), has_(o.has_) {}
    constexpr result(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
        : slot_(std::move(o.slot_), o.has_), st_(o.st_), has_(o.has_) {}
    constexpr result& operator=(result o) noexcept(std::is_nothrow_move_constructible_v<T>) {
        reset();
        st_ = o.st_;
        if (o.has_) {
            slot_.assign(std::move(o.slot_.value));
            has_ = true;
        }
        return *this;
    }
    constexpr ~result() { reset(); }

    [[nodiscard]] constexpr bool has_value() const noexcept { return has_; }
    constexpr explicit operator bool() const noexcept { return has_; }

    /// The status: ok when a value is held.
    [[nodiscard]] constexpr status error() const noexcept { return st_; }

    [[nodiscard]] constexpr T& value() & noexcept { check(); return slot_.value; }
    [[nodiscard]] constexpr const T& value() const& noexcept { check(); return slot_.value; }
    [[nodiscard]] constexpr T&& value() && noexcept { check(); return std::move(slot_.value); }
    [[nodiscard]] constexpr T& operator*() & noexcept { return value(); }
    [[nodiscard]] constexpr const T& operator*() const& noexcept { return value(); }
    [[nodiscard]] constexpr T* operator->() noexcept { return &value(); }
    [[nodiscard]] constexpr const T* operator->() const noexcept { return &value(); }

    /// The value, or `fallback` when this holds an error.
    [[nodiscard]] constexpr T value_or(T fallback) const& { return has_ ? slot_.value : fallback; }

private:
    constexpr void check() const noexcept {
        if (!has_) std::abort();
    }
    constexpr void reset() noexcept {
        if (has_) {
            slot_.destroy();
            has_ = false;
        }
    }

    detail::result_slot<T> slot_;
    status st_;
    bool has_ = false;
};

}  // namespace ksym

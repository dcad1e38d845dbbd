#pragma once
// result<T>: a value or a status, without exceptions or RTTI.

#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

#include "ksym/core/errc.hpp"

namespace ksym {

/// Holds either a T or a non-ok status. Usable in constant expressions for
/// literal T. Accessing the value of an error result is a contract violation:
/// it aborts (there are no exceptions to throw).
template <class T>
class [[nodiscard]] result {
    static_assert(!std::is_reference_v<T>, "result<T&> is not supported; use a pointer");

public:
    /// An ok result holding `v`. The member is initialised here rather than
    /// by construct(), so that a result of any literal T (one with optional
    /// members, say) can be made in a constant expression.
    constexpr result(T v) noexcept(std::is_nothrow_move_constructible_v<T>)  // NOLINT: implicit
        : value_(std::move(v)), st_{}, has_(true) {}
    /// An error result. `s` must not be ok.
    constexpr result(status s) noexcept : st_(s.ok() ? status{errc::invalid_argument} : s) {}  // NOLINT
    constexpr result(errc e) noexcept : result(status{e}) {}                                   // NOLINT

    constexpr result(const result& o) noexcept(std::is_nothrow_copy_constructible_v<T>)
        : st_(o.st_), has_(o.has_) {
        if (has_) construct(o.value_);
    }
    constexpr result(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
        : st_(o.st_), has_(o.has_) {
        if (has_) construct(std::move(o.value_));
    }
    constexpr result& operator=(result o) noexcept(std::is_nothrow_move_constructible_v<T>) {
        reset();
        st_ = o.st_;
        if (o.has_) {
            construct(std::move(o.value_));
            has_ = true;
        }
        return *this;
    }
    constexpr ~result() { reset(); }

    [[nodiscard]] constexpr bool has_value() const noexcept { return has_; }
    constexpr explicit operator bool() const noexcept { return has_; }

    /// The status: ok when a value is held.
    [[nodiscard]] constexpr status error() const noexcept { return st_; }

    [[nodiscard]] constexpr T& value() & noexcept { check(); return value_; }
    [[nodiscard]] constexpr const T& value() const& noexcept { check(); return value_; }
    [[nodiscard]] constexpr T&& value() && noexcept { check(); return std::move(value_); }
    [[nodiscard]] constexpr T& operator*() & noexcept { return value(); }
    [[nodiscard]] constexpr const T& operator*() const& noexcept { return value(); }
    [[nodiscard]] constexpr T* operator->() noexcept { return &value(); }
    [[nodiscard]] constexpr const T* operator->() const noexcept { return &value(); }

    /// The value, or `fallback` when this holds an error.
    [[nodiscard]] constexpr T value_or(T fallback) const& { return has_ ? value_ : fallback; }

private:
    constexpr void check() const noexcept {
        if (!has_) std::abort();
    }
    // Without <memory> (std::construct_at), whose iostream dependencies cost
    // every including translation unit a third of its compile time: a
    // trivially copyable T becomes the active member by assignment, which
    // constant evaluation allows; others are built with placement new.
    template <class U>
    constexpr void construct(U&& v) {
        if constexpr (std::is_trivially_copyable_v<T> && std::is_trivially_default_constructible_v<T>)
            value_ = std::forward<U>(v);
        else
            ::new (static_cast<void*>(&value_)) T(std::forward<U>(v));
    }
    constexpr void reset() noexcept {
        if (has_) {
            value_.~T();
            has_ = false;
        }
    }

    union {
        T value_;
    };
    status st_;
    bool has_ = false;
};

}  // namespace ksym

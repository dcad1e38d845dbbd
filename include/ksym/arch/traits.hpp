#pragma once
// The ArchTraits concept: what ksym must know about a target at compile time.

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ksym {

/// A description of a target architecture. Everything here is a compile-time
/// constant so decoders specialise their loads. Properties that vary between
/// kernels built for the same architecture (paging depth, VA bits, KASLR
/// offset, kallsyms address encoding) are run-time configuration, not traits.
template <class T>
concept ArchTraits = requires {
    { T::name } -> std::convertible_to<std::string_view>;
    { T::byte_order } -> std::convertible_to<std::endian>;
    { T::pointer_bytes } -> std::convertible_to<std::size_t>;
    { T::elf_machine } -> std::convertible_to<std::uint16_t>;
    typename T::word;
    requires std::unsigned_integral<typename T::word>;
    requires sizeof(typename T::word) == T::pointer_bytes;
    requires T::pointer_bytes == 4 || T::pointer_bytes == 8;
    requires T::byte_order == std::endian::little || T::byte_order == std::endian::big;
};

/// Builds a traits type from its constants; the named targets derive from it.
template <std::uint16_t Machine, std::size_t PointerBytes, std::endian Order>
struct basic_arch {
    using word = std::conditional_t<PointerBytes == 8, std::uint64_t, std::uint32_t>;
    static constexpr std::uint16_t elf_machine = Machine;
    static constexpr std::size_t pointer_bytes = PointerBytes;
    static constexpr std::endian byte_order = Order;
};

}  // namespace ksym

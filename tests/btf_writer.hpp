#pragma once
// A small BTF writer for tests: builds a type section and string section
// record by record (ids from 1) and emits the blob in either byte order,
// with the 24-byte header or the 32-byte one and its layout section. It
// writes what it is told, hostile things included (unknown kinds, cycles).

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ksym/btf/format.hpp"
#include "ksym/core/endian.hpp"

namespace ksym_test {

class btf_writer {
public:
    using kind = ksym::btf_kind;

    struct member {
        std::string name;            ///< empty: anonymous
        std::uint32_t type = 0;
        std::uint32_t bit_offset = 0;
        std::uint32_t bitfield_bits = 0;  ///< nonzero sets the struct's kind_flag
    };
    struct enumerator {
        std::string name;
        std::int64_t value = 0;
    };

    btf_writer() { str(""); }

    std::uint32_t add_int(std::string_view name, std::uint32_t size, bool is_signed = false) {
        const std::uint32_t id = head(name, kind::int_, 0, false, size);
        word((is_signed ? 1u << 24 : 0u) | (size * 8));
        return id;
    }
    /// An INT with its own bit offset and width: a kind_flag-0 bitfield.
    std::uint32_t add_int_bits(std::string_view name, std::uint32_t size, std::uint32_t offset, std::uint32_t bits) {
        const std::uint32_t id = head(name, kind::int_, 0, false, size);
        word((offset << 16) | bits);
        return id;
    }
    std::uint32_t add_ptr(std::uint32_t to) { return head("", kind::ptr, 0, false, to); }
    std::uint32_t add_array(std::uint32_t elem, std::uint32_t index, std::uint32_t n) {
        const std::uint32_t id = head("", kind::array, 0, false, 0);
        word(elem);
        word(index);
        word(n);
        return id;
    }
    std::uint32_t add_struct(std::string_view name, std::uint32_t size, const std::vector<member>& ms,
                             bool is_union = false) {
        bool kflag = false;
        for (const auto& m : ms) kflag |= m.bitfield_bits != 0;
        const std::uint32_t id = head(name, is_union ? kind::union_ : kind::struct_, vlen(ms.size()), kflag, size);
        for (const auto& m : ms) {
            word(str(m.name));
            word(m.type);
            word(kflag ? (m.bitfield_bits << 24) | m.bit_offset : m.bit_offset);
        }
        return id;
    }
    std::uint32_t add_enum(std::string_view name, std::uint32_t size, const std::vector<enumerator>& es,
                           bool is_signed = false) {
        const std::uint32_t id = head(name, kind::enum_, vlen(es.size()), is_signed, size);
        for (const auto& e : es) {
            word(str(e.name));
            word(static_cast<std::uint32_t>(e.value));
        }
        return id;
    }
    std::uint32_t add_enum64(std::string_view name, std::uint32_t size, const std::vector<enumerator>& es,
                             bool is_signed = false) {
        const std::uint32_t id = head(name, kind::enum64, vlen(es.size()), is_signed, size);
        for (const auto& e : es) {
            word(str(e.name));
            word(static_cast<std::uint32_t>(static_cast<std::uint64_t>(e.value)));
            word(static_cast<std::uint32_t>(static_cast<std::uint64_t>(e.value) >> 32));
        }
        return id;
    }
    std::uint32_t add_fwd(std::string_view name, bool is_union = false) { return head(name, kind::fwd, 0, is_union, 0); }
    std::uint32_t add_typedef(std::string_view name, std::uint32_t to) { return head(name, kind::typedef_, 0, false, to); }
    std::uint32_t add_volatile(std::uint32_t to) { return head("", kind::volatile_, 0, false, to); }
    std::uint32_t add_const(std::uint32_t to) { return head("", kind::const_, 0, false, to); }
    std::uint32_t add_restrict(std::uint32_t to) { return head("", kind::restrict_, 0, false, to); }
    std::uint32_t add_type_tag(std::string_view tag, std::uint32_t to) { return head(tag, kind::type_tag, 0, false, to); }
    std::uint32_t add_decl_tag(std::string_view tag, std::uint32_t to, std::int32_t component) {
        const std::uint32_t id = head(tag, kind::decl_tag, 0, false, to);
        word(static_cast<std::uint32_t>(component));
        return id;
    }
    std::uint32_t add_func_proto(std::uint32_t ret, const std::vector<std::pair<std::string, std::uint32_t>>& params) {
        const std::uint32_t id = head("", kind::func_proto, vlen(params.size()), false, ret);
        for (const auto& [n, t] : params) {
            word(str(n));
            word(t);
        }
        return id;
    }
    std::uint32_t add_func(std::string_view name, std::uint32_t proto) { return head(name, kind::func, 1, false, proto); }
    std::uint32_t add_var(std::string_view name, std::uint32_t type) {
        const std::uint32_t id = head(name, kind::var, 0, false, type);
        word(1);
        return id;
    }
    struct section_var {
        std::uint32_t var = 0, offset = 0, size = 0;
    };
    std::uint32_t add_datasec(std::string_view name, std::uint32_t size, const std::vector<section_var>& vs) {
        const std::uint32_t id = head(name, kind::datasec, vlen(vs.size()), false, size);
        for (const auto& v : vs) {
            word(v.var);
            word(v.offset);
            word(v.size);
        }
        return id;
    }
    std::uint32_t add_float(std::string_view name, std::uint32_t size) { return head(name, kind::float_, 0, false, size); }

    /// A record of a kind this library does not know, with `info_sz` bytes
    /// and `vlen` elements of `elem_sz` bytes after it (filled with 0x5a).
    /// describe_kind() must say the same for the blob to be readable.
    std::uint32_t add_unknown(std::uint32_t kind_number, std::uint32_t n, std::uint32_t info_sz, std::uint32_t elem_sz,
                              std::uint32_t size_or_type = 0) {
        const std::uint32_t id = head("", static_cast<kind>(kind_number), n, false, size_or_type);
        for (std::uint64_t i = 0; i < info_sz + std::uint64_t{n} * elem_sz; ++i) items_.push_back({0x5a, true});
        return id;
    }
    /// Adds `kind_number`'s entry to the layout section (kinds without an
    /// entry and below the highest get zero sizes; known kinds their own).
    void describe_kind(std::uint32_t kind_number, std::uint8_t info_sz, std::uint8_t elem_sz) {
        extra_layout_[kind_number] = {info_sz, elem_sz};
    }

    /// Raw bytes appended to the type section (a truncated record, say).
    void add_raw(std::initializer_list<std::uint8_t> bytes) {
        for (const auto b : bytes) items_.push_back({b, true});
    }

    [[nodiscard]] std::uint32_t last_id() const noexcept { return next_id_ - 1; }
    std::uint32_t str(std::string_view s) {
        const auto it = strings_.find(std::string(s));
        if (it != strings_.end()) return it->second;
        const auto off = static_cast<std::uint32_t>(strtab_.size());
        strtab_.append(s);
        strtab_.push_back('\0');
        strings_.emplace(std::string(s), off);
        return off;
    }

    /// The blob. With `layout_header`, a 32-byte header and a layout section
    /// describing every known kind and each describe_kind() entry.
    [[nodiscard]] std::vector<std::byte> bytes(std::endian order, bool layout_header = false) const {
        std::vector<std::byte> types;
        for (const auto& it : items_) {
            if (it.is_byte) {
                types.push_back(static_cast<std::byte>(it.v));
                continue;
            }
            const std::size_t at = types.size();
            types.resize(at + 4);
            ksym::store<std::uint32_t>(types.data() + at, it.v, order);
        }
        std::vector<std::byte> layout;
        if (layout_header) {
            std::uint32_t kinds = ksym::btf_known_kinds;
            if (!extra_layout_.empty()) kinds = std::max(kinds, extra_layout_.rbegin()->first + 1);
            for (std::uint32_t k = 0; k < kinds; ++k) {
                std::uint8_t info = 0, elem = 0;
                if (const auto e = extra_layout_.find(k); e != extra_layout_.end()) {
                    info = e->second.first;
                    elem = e->second.second;
                } else if (k > 0 && k < ksym::btf_known_kinds) {
                    info = static_cast<std::uint8_t>(*ksym::detail::btf_wire::trailing_bytes(k, 0));
                    elem = static_cast<std::uint8_t>(*ksym::detail::btf_wire::trailing_bytes(k, 1) - info);
                }
                layout.push_back(static_cast<std::byte>(info));
                layout.push_back(static_cast<std::byte>(elem));
                layout.push_back(std::byte{0});
                layout.push_back(std::byte{0});
            }
        }
        const std::uint32_t hdr = layout_header ? 32 : 24;
        const auto type_len = static_cast<std::uint32_t>(types.size());
        const auto str_len = static_cast<std::uint32_t>(strtab_.size());
        const std::uint32_t layout_off = (type_len + str_len + 3) & ~3u;
        const std::uint32_t fields[] = {hdr, 0, type_len, type_len, str_len, layout_off,
                                        static_cast<std::uint32_t>(layout.size())};
        // One allocation, filled by index (g++ 12 misreads growing inserts as overflows).
        std::vector<std::byte> out(hdr + (layout_header ? layout_off + layout.size() : type_len + str_len));
        ksym::store<std::uint16_t>(out.data(), ksym::btf_magic, order);
        out[2] = std::byte{1};
        for (std::size_t i = 0; i < (layout_header ? 7u : 5u); ++i)
            ksym::store<std::uint32_t>(out.data() + 4 + 4 * i, fields[i], order);
        for (std::size_t i = 0; i < types.size(); ++i) out[hdr + i] = types[i];
        for (std::size_t i = 0; i < strtab_.size(); ++i) out[hdr + type_len + i] = static_cast<std::byte>(strtab_[i]);
        for (std::size_t i = 0; i < layout.size(); ++i) out[hdr + layout_off + i] = layout[i];
        return out;
    }

private:
    struct item {
        std::uint32_t v = 0;
        bool is_byte = false;
    };
    static std::uint32_t vlen(std::size_t n) { return static_cast<std::uint32_t>(n); }
    void word(std::uint32_t v) { items_.push_back({v, false}); }
    std::uint32_t head(std::string_view name, kind k, std::uint32_t n, bool kflag, std::uint32_t size_or_type) {
        word(str(name));
        word((kflag ? 1u << 31 : 0u) | (static_cast<std::uint32_t>(k) << 24) | (n & 0xffffffu));
        word(size_or_type);
        return next_id_++;
    }

    std::vector<item> items_;
    std::string strtab_;
    std::map<std::string, std::uint32_t> strings_;
    std::map<std::uint32_t, std::pair<std::uint8_t, std::uint8_t>> extra_layout_;
    std::uint32_t next_id_ = 1;
};

}  // namespace ksym_test

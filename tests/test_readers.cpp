#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include "ksym/core/endian.hpp"
#include "ksym/elf/relocation.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/memory/callback_reader.hpp"
#include "ksym/memory/file_reader.hpp"

using ksym::errc;

namespace {
template <std::size_t N>
constexpr std::array<std::byte, N> iota_bytes(unsigned start = 0) {
    std::array<std::byte, N> a{};
    for (std::size_t i = 0; i < N; ++i) a[i] = static_cast<std::byte>((start + i) & 0xff);
    return a;
}

constexpr bool buffer_reads_at_compile_time() {
    constexpr auto data = iota_bytes<16>();
    ksym::buffer_reader r(data, 0x1000);
    std::array<std::byte, 4> out{};
    return r.read(0x1004, out).ok() && out[0] == std::byte{4} && r.read(0x100e, out) == errc::fault &&
           r.read(0x100e, out).address() == 0x1010;
}
static_assert(buffer_reads_at_compile_time());
}  // namespace

TEST_CASE("buffer_reader serves its range and faults outside it") {
    const auto data = iota_bytes<64>();
    ksym::buffer_reader r(data, 0xffff0000);
    std::array<std::byte, 8> out{};
    REQUIRE(r.read(0xffff0010, out).ok());
    CHECK(out[0] == std::byte{0x10});
    CHECK(out[7] == std::byte{0x17});

    auto s = r.read(0xfffefff8, out);  // starts below the base
    CHECK(s == errc::fault);
    CHECK(s.address() == 0xfffefff8);
    s = r.read(0xffff003c, out);  // runs past the end: fault names the first missing byte
    CHECK(s.address() == 0xffff0040);
    s = r.read(0xffff0040, out);
    CHECK(s.address() == 0xffff0040);
    s = r.read(~0ull - 3, out);  // would wrap the address space
    CHECK(s == errc::fault);
    CHECK(r.read(0, std::span<std::byte>{}).ok());  // empty reads always succeed
}

TEST_CASE("buffer_reader at the very top of the address space") {
    const auto data = iota_bytes<16>();
    ksym::buffer_reader r(data, ~0ull - 15);
    std::array<std::byte, 16> out{};
    REQUIRE(r.read(~0ull - 15, out).ok());
    CHECK(out[15] == std::byte{15});
}

namespace {
struct temp_file {
    std::string path;
    explicit temp_file(std::span<const std::byte> content) {
        char tmpl[] = "/tmp/ksym-test-XXXXXX";
        const int fd = ::mkstemp(tmpl);
        REQUIRE(fd >= 0);
        path = tmpl;
        REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
        ::close(fd);
    }
    ~temp_file() { std::remove(path.c_str()); }
};
}  // namespace

TEST_CASE("file_reader reads through pread with an address mapping") {
    const auto data = iota_bytes<256>();
    temp_file f(data);
    auto opened = ksym::file_reader::open(f.path.c_str());
    REQUIRE(opened);
    ksym::file_reader& whole = *opened;
    CHECK(whole.size() == 256);

    std::array<std::byte, 4> out{};
    REQUIRE(whole.read(0x80, out).ok());
    CHECK(out[0] == std::byte{0x80});
    CHECK(whole.read(0xfe, out).address() == 0x100);

    // Map virtual [0xffffffff81000000, +0x40) to file offset 0x40.
    const auto mapped = whole.remap(0xffffffff81000000ull, 0x40, 0x40);
    REQUIRE(mapped.read(0xffffffff81000010ull, out).ok());
    CHECK(out[0] == std::byte{0x50});
    CHECK(mapped.read(0xffffffff81000040ull, out) == errc::fault);
    CHECK(mapped.read(0xffffffff80fffffcull, out) == errc::fault);

    // A mapping that claims more than the file holds reports truncation.
    const auto beyond = whole.remap(0, 0xf0, 0x100);
    auto s = beyond.read(0x0e, out);
    CHECK(s == errc::truncated);
    CHECK(s.address() == 0x10);

    ksym::file_reader moved = std::move(*opened);
    REQUIRE(moved.read(0, out).ok());
    CHECK(out[3] == std::byte{3});
}

TEST_CASE("file_reader::open reports a missing file") {
    auto r = ksym::file_reader::open("/nonexistent/ksym/file");
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::io_error);
}

namespace {
struct host_memory {
    std::uint64_t base;
    std::span<const std::byte> bytes;
    int calls = 0;
};

bool host_read(void* ctx, std::uint64_t addr, std::byte* out, std::size_t len, std::uint64_t* fault) {
    auto* h = static_cast<host_memory*>(ctx);
    ++h->calls;
    for (std::size_t i = 0; i < len; ++i) {
        if (addr + i < h->base || addr + i - h->base >= h->bytes.size()) {
            *fault = addr + i;
            return false;
        }
        out[i] = h->bytes[addr + i - h->base];
    }
    return true;
}
}  // namespace

TEST_CASE("callback_reader adapts a host debugger's read function") {
    const auto data = iota_bytes<32>(0x40);
    host_memory host{0x2000, data};
    ksym::callback_reader r(&host_read, &host);
    std::array<std::byte, 4> out{};
    REQUIRE(r.read(0x2008, out).ok());
    CHECK(out[0] == std::byte{0x48});
    auto s = r.read(0x201e, out);
    CHECK(s == errc::fault);
    CHECK(s.address() == 0x2020);
    CHECK(host.calls == 2);

    ksym::callback_reader none(nullptr, nullptr);
    CHECK(none.read(0, out) == errc::invalid_argument);
}

TEST_CASE("buffer_reader lends its memory from an address to its end") {
    const auto data = iota_bytes<64>();
    ksym::buffer_reader r(data, 0x1000);
    auto v = r.view(0x1010, 8);
    REQUIRE(v.size() == 48);  // the rest of the buffer, not just what was asked
    CHECK(v.data() == data.data() + 16);
    CHECK(r.view(0x1000, 64).size() == 64);
    CHECK(r.view(0x1030, 17).empty());  // 16 bytes left: not enough
    CHECK(r.view(0xfff, 1).empty());    // below the base
    CHECK(r.view(0x1040, 0).empty());   // past the end
    ksym::reader_ref ref(r);            // the type-erased reference lends too
    CHECK(ref.view(0x1010, 8).data() == v.data());
    ksym::callback_reader cb([](void*, std::uint64_t, std::byte*, std::size_t, std::uint64_t*) { return true; },
                             nullptr);
    CHECK(ksym::reader_ref(cb).view(0, 1).empty());  // one that cannot lend
}

// find_rela_addend searches a lending reader's memory in place and any
// other reader through its window: the two must find the same entries,
// one straddling a window boundary included.
TEST_CASE("find_rela_addend: in place and through a window, the same answers") {
    struct copying {
        ksym::buffer_reader inner;
        ksym::status read(std::uint64_t a, std::span<std::byte> out) const { return inner.read(a, out); }
    };
    static_assert(ksym::LendingReader<ksym::buffer_reader> && !ksym::LendingReader<copying>);
    std::vector<std::byte> file(3 * 8192 + 40);
    const auto put = [&](std::size_t at, std::uint64_t target, std::uint64_t type, std::uint64_t addend) {
        ksym::store_n(file.data() + at, target, 8, std::endian::little);
        ksym::store_n(file.data() + at + 8, type, 8, std::endian::little);
        ksym::store_n(file.data() + at + 16, addend, 8, std::endian::little);
    };
    put(8192 - 8, 0xffff800008f24f18, ksym::r_aarch64_relative, 0xffff800008010000);  // across the first window's end
    put(2 * 8192 + 16, 0x1000, 7, 0xdead);                                             // another type
    put(3 * 8192, 0x1000, ksym::r_aarch64_relative, 0xbeef);
    ksym::buffer_reader lent(file, 0);
    copying copied{lent};
    for (const auto& [target, want] : {std::pair<std::uint64_t, std::uint64_t>{0xffff800008f24f18, 0xffff800008010000},
                                      {0x1000, 0xbeef}}) {
        auto a = ksym::find_rela_addend(lent, file.size(), std::endian::little, target, ksym::r_aarch64_relative);
        auto b = ksym::find_rela_addend(copied, file.size(), std::endian::little, target, ksym::r_aarch64_relative);
        auto c = ksym::find_rela_addend(std::span<const std::byte>(file), std::endian::little, target,
                                        ksym::r_aarch64_relative);
        REQUIRE(a);
        REQUIRE(b);
        REQUIRE(c);
        CHECK(*a == want);
        CHECK(*b == want);
        CHECK(*c == want);
    }
    CHECK(ksym::find_rela_addend(lent, file.size(), std::endian::little, 0x2000, 1027).error() == errc::not_found);
    CHECK(ksym::find_rela_addend(copied, file.size(), std::endian::little, 0x2000, 1027).error() == errc::not_found);
}

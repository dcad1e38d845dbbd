#pragma once
// The tool's page decompressor for compressed kdump files: the libraries the
// build found (zlib, libzstd, liblzo2, libsnappy), each optional, so the tool
// still builds with nothing but a compiler.

#include <cstddef>
#include <span>

#include "ksym/core/errc.hpp"
#include "ksym/dump/kdump.hpp"

#ifdef KSYM_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef KSYM_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef KSYM_HAVE_LZO
#include <lzo/lzo1x.h>
#endif
#ifdef KSYM_HAVE_SNAPPY
#include <snappy-c.h>
#endif

namespace ksym_cli {

/// Decompresses one kdump page with whichever library handles its codec.
struct tool_decompressor {
    ksym::status operator()(ksym::kdump_codec c, std::span<const std::byte> in, std::span<std::byte> out) const {
        [[maybe_unused]] const auto* src = reinterpret_cast<const unsigned char*>(in.data());
        [[maybe_unused]] auto* dst = reinterpret_cast<unsigned char*>(out.data());
        switch (c) {
#ifdef KSYM_HAVE_ZLIB
        case ksym::kdump_codec::zlib: {
            uLongf n = static_cast<uLongf>(out.size());
            if (uncompress(dst, &n, src, static_cast<uLong>(in.size())) != Z_OK || n != out.size())
                return {ksym::errc::corrupt};
            return {};
        }
#endif
#ifdef KSYM_HAVE_ZSTD
        case ksym::kdump_codec::zstd: {
            const std::size_t n = ZSTD_decompress(dst, out.size(), src, in.size());
            if (ZSTD_isError(n) || n != out.size()) return {ksym::errc::corrupt};
            return {};
        }
#endif
#ifdef KSYM_HAVE_LZO
        case ksym::kdump_codec::lzo: {
            lzo_uint n = out.size();
            if (lzo1x_decompress_safe(src, in.size(), dst, &n, nullptr) != LZO_E_OK || n != out.size())
                return {ksym::errc::corrupt};
            return {};
        }
#endif
#ifdef KSYM_HAVE_SNAPPY
        case ksym::kdump_codec::snappy: {
            std::size_t n = out.size();
            if (snappy_uncompress(reinterpret_cast<const char*>(src), in.size(), reinterpret_cast<char*>(dst), &n) !=
                    SNAPPY_OK ||
                n != out.size())
                return {ksym::errc::corrupt};
            return {};
        }
#endif
        default: return {ksym::errc::unsupported};
        }
    }
};

}  // namespace ksym_cli

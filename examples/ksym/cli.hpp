#pragma once
// What the ksym tool's commands share: their arguments, the one-line error
// report, opening the image, and the address width.

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/pipeline/kernel_image.hpp"

namespace ksym_cli {

/// Unreadable or malformed input, and usage errors.
inline constexpr int exit_bad_input = 2;
/// A lookup that found nothing.
inline constexpr int exit_not_found = 1;

/// The arguments of the commands that read an image:
/// `CMD IMAGE --system-map MAP [QUERY]`.
struct image_args {
    const char* image = nullptr;
    const char* map = nullptr;
    const char* query = nullptr;
};

inline int usage() {
    std::fprintf(stderr,
                 "usage: ksym dump IMAGE --system-map MAP\n"
                 "       ksym lookup IMAGE --system-map MAP NAME|0xADDR\n"
                 "       ksym info IMAGE --system-map MAP\n"
                 "       ksym nm-type LETTER | ksym st-info BYTE\n");
    return exit_bad_input;
}

/// Prints `ksym: FILE: WHAT[: CODE at 0xADDR]` and returns exit_bad_input.
inline int fail(std::string_view file, std::string_view what, ksym::status s = {}) {
    if (s.ok()) {
        std::fprintf(stderr, "ksym: %.*s: %.*s\n", int(file.size()), file.data(), int(what.size()), what.data());
    } else {
        const auto code = ksym::to_string(s.code());
        std::fprintf(stderr, "ksym: %.*s: %.*s: %.*s at 0x%" PRIx64 "\n", int(file.size()), file.data(),
                     int(what.size()), what.data(), int(code.size()), code.data(), s.address());
    }
    return exit_bad_input;
}

/// Parses `IMAGE --system-map MAP` plus `queries` (0 or 1) positional
/// arguments from argv[2...]; false on any mismatch.
inline bool parse_image_args(int argc, char** argv, int queries, image_args& a) {
    std::vector<const char*> pos;
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--system-map") == 0 && i + 1 < argc) a.map = argv[++i];
        else pos.push_back(argv[i]);
    }
    if (!a.map || pos.size() != static_cast<std::size_t>(1 + queries)) return false;
    a.image = pos[0];
    if (queries == 1) a.query = pos[1];
    return true;
}

inline bool read_file(const char* path, std::string& out) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    const bool ok = !std::ferror(f);
    std::fclose(f);
    return ok;
}

/// Reads the map and opens the image through locate and resolve. Returns 0,
/// or the exit status after printing which file is at fault and why.
inline int open_image(const image_args& a, ksym::kernel_image& img) {
    std::string map_text;
    if (!read_file(a.map, map_text)) return fail(a.map, std::strerror(errno));
    const ksym::status s = img.open(a.image, map_text);
    if (s) return 0;
    switch (img.failed_stage()) {
    case ksym::image_stage::map:
        return fail(a.map, s == ksym::errc::not_found ? "no kallsyms symbols in the map" : "bad symbol map", s);
    case ksym::image_stage::image:
        if (s == ksym::errc::io_error) return fail(a.image, std::strerror(static_cast<int>(s.address())));
        return fail(a.image, "not a kernel image (neither ELF nor a raw arm64/riscv Image)", s);
    case ksym::image_stage::kallsyms: break;
    }
    return fail(a.image, "kallsyms table unreadable", s);
}

/// Hex digits of an address, as /proc/kallsyms pads them: the target's word.
inline int address_digits(const ksym::kallsyms_format& f) { return 2 * f.word_bytes; }

int dump(const image_args& a);
int lookup(const image_args& a);
int info(const image_args& a);
int nm_type(std::string_view letter);
int st_info(const char* byte);

}  // namespace ksym_cli

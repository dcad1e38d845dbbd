#pragma once
// A kernel release number, for the few format facts that only a version tells.

#include <compare>
#include <cstdint>
#include <string_view>

namespace ksym {

/// major.minor.patch of a kernel release. Prefer detecting a feature by its
/// presence in memory; use this only where the kernel left no other trace.
struct kernel_version {
    std::uint16_t major = 0;
    std::uint16_t minor = 0;
    std::uint16_t patch = 0;

    friend constexpr auto operator<=>(const kernel_version&, const kernel_version&) noexcept = default;

    /// Parses the leading "X.Y[.Z]" of a release string such as
    /// "6.1.0-37-amd64"; anything after the numbers is ignored. Returns
    /// {0,0,0} when the text does not start with "X.Y".
    [[nodiscard]] static constexpr kernel_version parse(std::string_view s) noexcept {
        std::uint16_t part[3] = {0, 0, 0};
        std::size_t i = 0;
        for (int p = 0; p < 3; ++p) {
            if (i >= s.size() || s[i] < '0' || s[i] > '9') {
                if (p < 2) return {};
                break;
            }
            std::uint32_t v = 0;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
                v = v * 10 + static_cast<std::uint32_t>(s[i] - '0');
                if (v > 0xffff) return {};
                ++i;
            }
            part[p] = static_cast<std::uint16_t>(v);
            if (p < 2) {
                if (i >= s.size() || s[i] != '.') {
                    if (p == 0) return {};
                    break;
                }
                ++i;
            }
        }
        return {part[0], part[1], part[2]};
    }
};

}  // namespace ksym

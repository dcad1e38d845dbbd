// Writes synthetic vmlinux-like BTF files around struct module, one per
// era and encoding, for tests/check_btf_bpftool.sh to read with both ksym
// and bpftool.   btf_samples DIR   (prints the paths it wrote)
#include <cstdio>
#include <string>

#include "image_builder.hpp"
#include "module_btf.hpp"

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    using E = ksym::module_layout_era;
    using F = ksym::kernel_symbol_form;
    const std::string dir = argv[1];
    const std::pair<const char*, ksym_test::module_btf_spec> samples[] = {
        {"mem_array_anonymous", {.anonymous = true, .seed = 21}},
        {"mem_array_layout_section", {.layout_header = true, .mem_type_enum64 = true, .seed = 25}},
        {"core_layout_absolute", {.era = E::core_layout, .gpl_syms = true, .data_layout = true, .kernel_symbol = F::absolute, .seed = 22}},
        {"core_layout_no_typetab_be", {.era = E::core_layout, .order = std::endian::big, .typetab = false, .odd_values = true, .seed = 23}},
        {"module_core", {.era = E::module_core, .anonymous = true, .seed = 24}},
    };
    for (const auto& [name, spec] : samples) {
        const std::string path = dir + "/" + name + ".btf";
        if (!ksym_test::write_file(path, ksym_test::make_module_btf(spec).bytes)) return 1;
        std::printf("%s\n", path.c_str());
    }
    return 0;
}

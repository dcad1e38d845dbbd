// README's snippet on the index, built and run.
#include <ksym.hpp>

#include <thread>
#include <vector>

using table_type = ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::x86_64>;

// [readme:index]
// Many lookups, from many threads: lend an index about 26 bytes a symbol.
int many_lookups(table_type& table, std::span<const std::uint64_t> addrs) {
    ksym::kallsyms_index<ksym::buffer_reader, ksym::arch::x86_64> index;
    std::vector<std::uint64_t> storage(index.words_for(table));      // the caller's memory
    if (!index.build(table, storage)) return 1;                       // one pass over the table
    auto worker = [&](std::size_t first) {                            // const lookups: no locks
        ksym::name_buffer name;
        for (std::size_t i = first; i < addrs.size(); i += 2) (void)index.find_by_address(addrs[i], name);
    };
    std::thread a(worker, 0), b(worker, 1);
    a.join();
    b.join();
    return 0;
}
// [/readme:index]

int main() {
    std::vector<ksym::encoder_symbol> syms;
    std::vector<std::uint64_t> addrs;
    for (std::uint64_t i = 0; i < 5000; ++i) {
        syms.push_back({0xffffffff81000000ull + i * 64, 'T', "fn_" + std::to_string(i)});
        addrs.push_back(0xffffffff81000000ull + i * 64 + 3);
    }
    ksym::encoder_options eo;
    eo.base = 0xffffffff82400000ull;
    auto enc = ksym::encode_kallsyms(syms, eo);
    if (!enc) return 2;
    ksym::buffer_reader mem(enc->blob, enc->base);
    static table_type table;
    if (!table.open(mem, enc->format)) return 2;
    return many_lookups(table, addrs);
}

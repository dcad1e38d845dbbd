#pragma once
// Opening a source's table for a target known only at run time: what every
// pipeline's with_table() does.

#include "ksym/arch/dispatch.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// Calls `f(kallsyms_table<reader_ref, Traits>&)` for target `arch` with
/// the table `fmt` describes opened over `reader` (on the stack: one table,
/// about 80 KiB), and returns f's status or the open failure. What the
/// pipelines' with_table() share.
template <class F>
status with_opened_table(arch_id arch, reader_ref reader, const kallsyms_format& fmt, F&& f) {
    return with_arch(arch, [&](auto traits) -> status {
        kallsyms_table<reader_ref, decltype(traits)> t;
        if (status s = t.open(reader, fmt); !s) return s;
        return f(t);
    });
}

}  // namespace ksym

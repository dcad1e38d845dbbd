#!/usr/bin/env python3
"""Time drgn's in-process kallsyms loaders (issue 12).

Run by bench/drgn_compare.sh with PYTHONPATH pointing at a drgn build.

  drgn_compare.py proc KALLSYMS_FILE [--runs N]
      times _drgn._linux_helper_load_proc_kallsyms(filename=FILE), drgn's
      C parser of /proc/kallsyms text.

  drgn_compare.py builtin CORE SYSTEM_MAP [--runs N]
      times _drgn._linux_helper_load_builtin_kallsyms(prog, ...), drgn's C
      decoder of the compressed kallsyms_* tables, on a Program whose memory
      is CORE (an ELF core file whose PT_LOAD segments are the image's; the
      shell script makes one by copying the image and setting e_type to
      ET_CORE).  The kallsyms_* addresses and _stext come from SYSTEM_MAP.

Only the loader call is inside time.perf_counter(); the returned SymbolIndex
is released outside the timed region.  Prints one line of key=value pairs.
"""

import argparse
import gc
import os
import statistics
import sys
import time


# The symbols drgn's builtin loader takes, in its argument order.
LOADER_SYMBOLS = [
    "kallsyms_names",
    "kallsyms_token_table",
    "kallsyms_token_index",
    "kallsyms_num_syms",
    "kallsyms_offsets",
    "kallsyms_relative_base",
    "kallsyms_addresses",
    "_stext",
]


def parse_map(path):
    want = set(LOADER_SYMBOLS)
    found = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] in want:
                found[parts[2]] = int(parts[0], 16)
    return found


def count_symbols(index):
    # SymbolIndex.__call__(prog, name, address, one): no name, no address =
    # every symbol.
    return len(index(None, None, None, False))


def time_calls(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    gc.disable()
    for _ in range(runs):
        t0 = time.perf_counter()
        index = fn()
        t1 = time.perf_counter()
        del index
        times.append(t1 - t0)
    gc.enable()
    return times


def report(label, times, nsyms):
    ms = sorted(t * 1e3 for t in times)
    print(
        f"loader={label} runs={len(ms)} symbols={nsyms} "
        f"min_ms={ms[0]:.2f} median_ms={statistics.median(ms):.2f} "
        f"mean_ms={statistics.fmean(ms):.2f} max_ms={ms[-1]:.2f}"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["proc", "builtin"])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()

    import _drgn
    import drgn

    sys.stderr.write(f"drgn {drgn.__version__} from {os.path.dirname(drgn.__file__)}\n")

    if args.mode == "proc":
        (path,) = args.paths
        fn_name = "_linux_helper_load_proc_kallsyms"
        if not hasattr(_drgn, fn_name):
            sys.exit(f"this drgn ({drgn.__version__}) has no _drgn.{fn_name}")
        loader = getattr(_drgn, fn_name)

        def fn():
            return loader(filename=path)

    else:
        core, sysmap = args.paths
        fn_name = "_linux_helper_load_builtin_kallsyms"
        if not hasattr(_drgn, fn_name):
            sys.exit(f"this drgn ({drgn.__version__}) has no _drgn.{fn_name}")
        loader = getattr(_drgn, fn_name)
        syms = parse_map(sysmap)
        # A core file carries no VMCOREINFO, so drgn cannot read the release
        # to decide whether kallsyms_names uses 2-byte lengths (Linux >= 6.1);
        # drgn's documented override is this variable.
        os.environ.setdefault("DRGN_KALLSYMS_LONG", "1")
        prog = drgn.Program()
        prog.set_core_dump(core)
        locs = [syms.get(name, 0) for name in LOADER_SYMBOLS]

        def fn():
            return loader(prog, *locs)

    nsyms = count_symbols(fn())
    times = time_calls(fn, args.runs, args.warmup)
    report(args.mode, times, nsyms)


if __name__ == "__main__":
    main()

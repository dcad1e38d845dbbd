# The deepest stack any call chain from ROOT can reach, from GCC's
# -fcallgraph-info=su output (.ci files: every function's frame size and
# the calls it makes). Prints "BYTES ROOT > callee > ..." for the deepest
# chain; exits 1 when the bound is unknown: a frame of dynamic size, a
# recursion, or an indirect call (which the graph cannot follow).
#
#   awk -v root=main[,other...] -f stack_bound.awk *.ci
function fail(msg) { print "stack_bound: " msg > "/dev/stderr"; bad = 1 }
/^node:/ {
    match($0, /title: "[^"]*"/); t = substr($0, RSTART + 8, RLENGTH - 9)
    if (match($0, /[0-9]+ bytes \([a-z,]+\)/)) {
        s = substr($0, RSTART, RLENGTH)
        split(s, part, " ")
        frame[t] = part[1] + 0
        if (s !~ /\(static\)/) fail(t " has a frame of dynamic size: " s)
    }
    # A local function's title carries its file; calls from other files name it without.
    short = t; sub(/^[^:]*:/, "", short)
    if (!(short in alias)) alias[short] = t
}
/^edge:/ {
    match($0, /sourcename: "[^"]*"/); s = substr($0, RSTART + 13, RLENGTH - 14)
    match($0, /targetname: "[^"]*"/); d = substr($0, RSTART + 13, RLENGTH - 14)
    if (d == "__indirect_call") fail(s " makes an indirect call")
    if (!((s, d) in seen)) { seen[s, d] = 1; calls[s] = calls[s] SUBSEP d }
}
function resolve(f,   g) {
    if (!(f in frame) && !(f in calls)) {
        # A complete-object constructor or destructor (C1, D1) is an alias
        # of the base-object one (C2, D2), which carries the frame.
        g = f; sub(/C1E/, "C2E", g); sub(/D1E/, "D2E", g)
        if (g in frame) return g
    }
    return (f in frame) ? f : ((f in alias) ? alias[f] : f)
}
function depth(f,   n, list, i, c, d, best, via) {
    f = resolve(f)
    if (f in memo) return memo[f]
    if (f in active) { fail("recursion through " f); return 0 }
    active[f] = 1
    best = 0; via = ""
    # Test membership first: reading calls[f] would create it.
    if (!(f in frame) && !(f in calls)) unknown[f] = 1
    n = (f in calls) ? split(calls[f], list, SUBSEP) : 0
    for (i = 2; i <= n; i++) {
        c = resolve(list[i])
        d = depth(c)
        if (d > best) { best = d; via = c }
    }
    delete active[f]
    memo[f] = frame[f] + best
    next_of[f] = via
    return memo[f]
}
function pretty(f) { sub(/^[^:]*:/, "", f); return f }
END {
    # ROOT may list several functions called from the same stack top.
    nroots = split(root, roots, ",")
    total = -1
    for (r = 1; r <= nroots; r++) {
        d = depth(roots[r])
        if (d > total) { total = d; top = roots[r] }
    }
    chain = pretty(top) " (" frame[resolve(top)] ")"
    for (f = next_of[resolve(top)]; f != ""; f = next_of[f]) chain = chain " > " pretty(f) " (" frame[f] ")"
    for (f in unknown) if (f !~ /^__builtin/) fail("no frame size for " f " (not compiled with -fcallgraph-info?)")
    print total " " chain
    exit bad
}

# shellcheck shell=bash disable=SC2154  # $aptdir comes from the sourcing script
# Private apt configuration for the scripts that fetch Debian kernels
# (tests/corpus/fetch.sh, tests/dumps/make.sh). Sourced, not run.
#
# apt runs with a configuration under $aptdir: the machine's own Debian
# source entries are copied, with the suites and architectures the kernels
# need added, so nothing on the system (sources, pins, dpkg architectures)
# changes and no root is needed.
#
# The caller sets $aptdir and defines die(), and may set $apt_archs (the
# Debian architectures apt indexes, default "amd64 arm64 i386") before
# sourcing; this file defines apt_opts and setup_apt, apt_update, newest,
# candidate_version and newest_kernel.

apt_archs=${apt_archs:-amd64 arm64 i386}

# The machine's Debian entries, one "URI<TAB>suite<TAB>components<TAB>signed-by"
# line per URI and suite, from deb822 .sources files and one-line .list files.
debian_entries() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         /Enabled: *no/ { next }
         { uris = suites = comps = signed = ""; deb = 0
           for (i = 1; i <= NF; i++) {
             line = $i; if (line ~ /^#/) continue
             key = line; sub(/:.*/, "", key); val = line; sub(/^[^:]*: */, "", val)
             if (key == "Types" && val ~ /(^| )deb( |$)/) deb = 1
             else if (key == "URIs") uris = val
             else if (key == "Suites") suites = val
             else if (key == "Components") comps = val
             else if (key == "Signed-By") signed = val
           }
           if (!deb) next
           nu = split(uris, u, " "); ns = split(suites, s, " ")
           for (a = 1; a <= nu; a++) for (b = 1; b <= ns; b++)
             if (s[b] ~ /^(bookworm|trixie|forky|sid|unstable|testing)/)
               printf "%s\t%s\t%s\t%s\n", u[a], s[b], comps, signed }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] || continue
    awk '$1 == "deb" {
           i = 2; opts = ""
           if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
           if ($(i+1) !~ /^(bookworm|trixie|forky|sid|unstable|testing)/) next
           signed = ""
           if (match(opts, /signed-by=[^] ]*/)) signed = substr(opts, RSTART + 10, RLENGTH - 10)
           comps = ""; for (j = i + 2; j <= NF; j++) comps = comps (comps == "" ? "" : " ") $j
           printf "%s\t%s\t%s\t%s\n", $i, $(i+1), comps, signed }' "$f"
  done
}

# Write one stanza per URI and suite, so an architecture whose index fails
# for one suite (a mirror mid-sync) can be dropped there alone.
write_sources() {
  awk -F '\t' -v dropfile="$aptdir/drop" -v archlist="$apt_archs" '
    BEGIN { while ((getline line < dropfile) > 0) { split(line, d, " "); drop[d[1] " " d[2]] = 1 } }
    !seen[$1 "\t" $2]++ {
      archs = ""
      n = split(archlist, all, " ")
      for (k = 1; k <= n; k++) if (!((($2 " " all[k]) in drop))) archs = archs " " all[k]
      if (archs == "") next
      printf "Types: deb\nArchitectures:%s\nURIs: %s\nSuites: %s\nComponents: %s\n", archs, $1, $2, $3
      if ($4 != "") printf "Signed-By: %s\n", $4
      printf "\n" }' "$aptdir/entries" > "$aptdir/sources.list.d/corpus.sources"
}

setup_apt() {
  mkdir -p "$aptdir/sources.list.d" "$aptdir/preferences.d" "$aptdir/lists/partial" \
           "$aptdir/cache/archives/partial"
  debian_entries > "$aptdir/entries"
  # The first entry that is not the security archive lends its URI and
  # signing key to the suites the machine lacks.
  local main
  main=$(awk -F '\t' '$1 !~ /security/ { print; exit }' "$aptdir/entries")
  [ -n "$main" ] || die "no Debian source entry found in /etc/apt to copy"
  local s
  for s in bookworm bookworm-backports sid; do
    awk -F '\t' -v s="$s" '$2 == s { found = 1 } END { exit !found }' "$aptdir/entries" ||
      printf '%s\n' "$main" | awk -F '\t' -v OFS='\t' -v s="$s" '{ $2 = s; print }' >> "$aptdir/entries"
  done
  : > "$aptdir/drop"
  write_sources
  # Only ever downloads, but pin the added suites low all the same so this
  # configuration can never pull the machine forward if it is reused.
  printf 'Package: *\nPin: release n=bookworm-backports\nPin-Priority: 100\n\nPackage: *\nPin: release n=sid\nPin-Priority: 100\n' \
    > "$aptdir/preferences.d/corpus"
}

# shellcheck disable=SC2034  # used by the sourcing script
apt_opts=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$aptdir/sources.list.d"
  -o "Dir::Etc::Preferences=/dev/null"
  -o "Dir::Etc::PreferencesParts=$aptdir/preferences.d"
  -o "Dir::State::Lists=$aptdir/lists"
  -o "Dir::Cache=$aptdir/cache"
  -o "Dir::Cache::pkgcache=$aptdir/cache/pkgcache.bin"
  -o "Dir::Cache::srcpkgcache=$aptdir/cache/srcpkgcache.bin"
  -o "APT::Architecture=amd64"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=$(id -un)"
  -o "Acquire::Retries=3"
)
for _a in $apt_archs; do apt_opts+=(-o "APT::Architectures::=$_a"); done
unset _a

# A mirror mid-sync can fail one index and apt then ignores that whole suite
# (seen with bookworm-security/i386, which also carries the newest amd64
# kernels). Retry once; then drop just the failing suite/architecture pairs.
apt_update() {
  local attempt failed
  for attempt in 1 2 3; do
    if apt-get "${apt_opts[@]}" -q update >"$aptdir/update.log" 2>&1; then
      return 0
    fi
    failed=$(sed -n 's#.*/dists/\([^/]*\)/[^/]*/binary-\([a-z0-9]*\)/.*#\1 \2#p' "$aptdir/update.log" | sort -u)
    # shellcheck disable=SC2086,SC2116  # one line of pairs
    echo "${0##*/}: apt-get update failed (attempt $attempt): $(echo $failed)" >&2
    if [ "$attempt" -ge 2 ] && [ -n "$failed" ]; then
      printf '%s\n' "$failed" >> "$aptdir/drop"
      write_sources
    fi
    sleep 5
  done
  die "apt-get update failed: $(grep -E '^E:' "$aptdir/update.log" | sed 's#[a-z]*://[^/ ]*#<mirror>#g' | head -n3)"
}

newest() { # pattern arch -> newest package name
  apt-cache "${apt_opts[@]}" pkgnames linux-image- |
    grep -E "^$1(:$2)?$" | sed 's/:.*//' | sort -uV | tail -n1
}

candidate_version() { # package arch
  apt-cache "${apt_opts[@]}" show "$1:$2" 2>/dev/null |
    awk '/^Version:/ { print $2 }' | sort -V | tail -n1
}

# The newest kernel matching a -dbg package pattern and the package that
# holds its image at the same version: bookworm and its backports ship it in
# linux-image-*-unsigned; from 7.x sid ships it in linux-binary-unsigned-*.
# Architectures without signed kernels ship it in linux-image-* itself (6.x)
# or linux-binary-* (7.x, where linux-image-* is an empty meta-package).
newest_kernel() { # id pattern arch -> sets dbg release version image_pkg
  local id=$1 p
  dbg=$(newest "$2" "$3")
  [ -n "$dbg" ] || die "$id: no package matches $2 for $3"
  release=${dbg#linux-image-}; release=${release%-dbg}
  version=$(candidate_version "$dbg" "$3")
  image_pkg=
  for p in "linux-image-$release-unsigned" "linux-binary-unsigned-$release" "linux-binary-$release" "linux-image-$release"; do
    if [ "$(candidate_version "$p" "$3")" = "$version" ]; then image_pkg=$p; break; fi
  done
  [ -n "$image_pkg" ] || die "$id: no image package for $release at $version"
}

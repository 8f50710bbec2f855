#!/usr/bin/env bash
# bench/fuzz/run.sh TARGET SECONDS
# Runs AFL++ (Debian: afl++) on one harness of tests/Keypost.Fuzz for SECONDS, with SharpFuzz instrumentation of
# the Keypost assemblies and MimeKit. Seeds: tests/fuzz/corpus/TARGET. Results: artifacts/fuzz/TARGET (AFL++'s output
# directory); every crash or hang is copied into the corpus as crash-*/hang-* to become a CI regression input.
# The machine is shared: AFL++ runs at nice 19 (KEYPOST_FUZZ_NICE to change it), on no fixed core (the one-off
# build runs at normal priority: at nice 19 on a loaded machine it may not finish at all). The session harnesses
# count a session that has not ended within 60 s of wall-clock time as a hang; at nice 19 beside a build (load 30+)
# the fuzzer gets well under 1% of a core and ordinary sessions pass that limit: run them at nice 0 on a busy machine. Targets: Keypost.Fuzz list.
# KEYPOST_FUZZ_FINDINGS=FILE makes the harness append each finding's exception to FILE (AFL++ keeps only the input).
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 TARGET SECONDS" >&2
  exit 2
fi
target="$1"
seconds="$2"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${KEYPOST_FUZZ_OUT:-$root/artifacts/fuzz}"
build="$out/build"
tools="$out/tools"
corpus="$root/tests/fuzz/corpus/$target"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 1; }
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 1; }

if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

# Build and instrument once; KEYPOST_FUZZ_REBUILD=1 starts over (after a source change).
if [ "${KEYPOST_FUZZ_REBUILD:-0}" = 1 ] || [ ! -f "$build/.instrumented" ]; then
  rm -rf "$build"
  dotnet publish "$root/tests/Keypost.Fuzz/Keypost.Fuzz.csproj" -c Release -o "$build" --nologo -v q
  # MimeKit too: the MIME-heavy targets need feedback from its parser, and an input it refuses would otherwise
  # reach no instrumented code at all (AFL++ then aborts with "No instrumentation detected").
  # Every Keypost part a harness reaches: IMAP and the store became their own assemblies (Keypost.Imap,
  # Keypost.Store) and the proof decoders live in Keypost.Transparency; an assembly left out gives no feedback.
  for assembly in Keypost.Core Keypost.Net Keypost.Mail Keypost.Store Keypost.Imap Keypost.Directory Keypost.Transparency MimeKit; do
    "$tools/sharpfuzz" "$build/$assembly.dll" >/dev/null
  done
  touch "$build/.instrumented"
fi

findings="$out/$target"
rm -rf "$findings"
mkdir -p "$findings"
# The .NET binary is not instrumented the way afl-fuzz checks for (SharpFuzz reports coverage at run time);
# core dumps are not AFL++'s concern here; the UI is a log line instead.
# The fork server gets 5 minutes to start: after a crash AFL++ restarts the harness, and an instrumented .NET
# start on a loaded 2-core machine took longer than 60 s once (smtp-session lost its fork server at 1,033 s).
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 \
  AFL_NO_UI=1 AFL_FORKSRV_INIT_TMOUT=300000 AFL_MAP_SIZE=65536
# AFL++'s timeout (90 s) stays far above the harnesses' own hang limit (LoopbackSession.Limit, 60 s per wait): a
# SharpFuzz harness is its own fork server, so when AFL++ kills a slow run it kills the fork server with it and the
# campaign aborts ("Unable to communicate with fork server", smtp-session twice under load 27). A real hang is
# reported by the harness as a finding (a crash) before AFL++ would act.
nice -n "${KEYPOST_FUZZ_NICE:-19}" afl-fuzz -i "$corpus" -o "$findings" -t 90000 -m none -V "$seconds" -- "$build/Keypost.Fuzz" "$target" \
  > "$findings/afl.log" 2>&1 || { tail -30 "$findings/afl.log" >&2; exit 1; }

stats="$findings/default/fuzzer_stats"
value() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
echo "$target: run_time $(value run_time) s, execs $(value execs_done) ($(value execs_per_sec)/s), corpus $(value corpus_count)," \
  "edges $(value edges_found)/$(value total_edges) ($(value bitmap_cvg)), crashes $(value saved_crashes), hangs $(value saved_hangs)"

for kind in crashes hangs; do
  for file in "$findings/default/$kind"/id:*; do
    [ -e "$file" ] || continue
    name="${kind%es}"
    name="${name%s}-$(sha256sum "$file" | cut -c1-16)"
    cp "$file" "$corpus/$name"
    echo "saved $corpus/$name"
  done
done

#!/usr/bin/env bash
# PGP/MIME throughput: Keypost (BenchmarkDotNet, PgpMimeBenchmarks) beside gpg on the same files, same machine.
# Usage: bench/pgp/run.sh            (about 5 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/keypost-pgp-bench.XXXXXX)
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

# 1. Keypost, in BenchmarkDotNet's short job (3 warm-ups, 3 measured iterations, one process per case).
dotnet run -c Release --project bench/Keypost.Bench -- --filter '*PgpMime*' --job short --exporters json \
    --artifacts "$work/bdn" >"$work/bdn.log" 2>&1 || { tail -50 "$work/bdn.log"; exit 1; }

# 2. gpg with the same kind of data: base64 lines of random bytes, same sizes; keys like Keypost's
#    (Ed25519 signing primary, Curve25519 encryption subkey), no passphrase.
for who in leia@rebel.test luke@jedi.test; do
    gpg --batch --passphrase '' --quick-gen-key "$who" ed25519 sign never 2>/dev/null
    fpr=$(gpg --with-colons --list-keys "$who" | awk -F: '/^fpr/ {print $10; exit}')
    gpg --batch --passphrase '' --quick-add-key "$fpr" cv25519 encr never 2>/dev/null
done

now() { date +%s.%N; }
declare -A gpg_result
for size in 10240 1048576 104857600; do
    head -c $((size * 3 / 4 + 100)) /dev/urandom | base64 -w 76 >"$work/in.$size"
    truncate -s "$size" "$work/in.$size"
    case $size in 10240) n=50 ;; 1048576) n=10 ;; *) n=2 ;; esac
    for mode in default z0; do
        z=(); [ "$mode" = z0 ] && z=(-z 0)
        start=$(now)
        for _ in $(seq "$n"); do
            gpg --batch --yes --trust-model always "${z[@]}" -u leia@rebel.test -r luke@jedi.test -r leia@rebel.test \
                --encrypt --sign -o "$work/out.$size.$mode.gpg" "$work/in.$size"
        done
        gpg_result[enc,$size,$mode]=$(echo "($(now) - $start) / $n" | bc -l)
        start=$(now)
        for _ in $(seq "$n"); do
            gpg --batch --yes --trust-model always -o /dev/null -d "$work/out.$size.$mode.gpg" 2>/dev/null
        done
        gpg_result[dec,$size,$mode]=$(echo "($(now) - $start) / $n" | bc -l)
    done
done

# 3. Side by side.
{
    for key in "${!gpg_result[@]}"; do echo "gpg $key ${gpg_result[$key]}"; done
} >"$work/gpg.txt"
/usr/bin/python3 - "$work/bdn/results" "$work/gpg.txt" <<'PY'
import glob, json, sys
keypost = {}
for path in glob.glob(sys.argv[1] + "/*.json"):
    for b in json.load(open(path))["Benchmarks"]:
        size = int(b["Parameters"].split("=")[1])
        keypost[("enc" if b["Method"] == "EncryptAndSign" else "dec", size)] = b["Statistics"]["Mean"] / 1e9
gpg = {}
for line in open(sys.argv[2]):
    _, key, seconds = line.split()
    op, size, mode = key.split(",")
    gpg[(op, int(size), mode)] = float(seconds)
names = {"enc": "encrypt+sign", "dec": "decrypt+verify"}
print("| operation | size | keypost | gpg (default, compressed) | gpg -z 0 | keypost/gpg | keypost/gpg -z 0 |")
print("|---|---:|---:|---:|---:|---:|---:|")
for op in ("enc", "dec"):
    for size in (10240, 1048576, 104857600):
        k, g, z = keypost[(op, size)], gpg[(op, size, "default")], gpg[(op, size, "z0")]
        fmt = lambda s: f"{size / s / 1e6:.1f} MB/s, {1 / s:.1f} msg/s"
        label = {10240: "10 KB", 1048576: "1 MB", 104857600: "100 MB"}[size]
        print(f"| {names[op]} | {label} | {fmt(k)} | {fmt(g)} | {fmt(z)} | {g / k:.2f} | {z / k:.2f} |")
PY

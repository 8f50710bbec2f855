#!/usr/bin/env bash
# Streaming OpenPGP of one large file: Keypost (StreamingOpenPgp, in-process) beside gpg -z 0, same machine, same run.
# Usage: bench/pgp/stream.sh [MiB] [rounds]      (defaults: 100 MiB, best of 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
mib=${1:-100}
rounds=${2:-3}
work=$(mktemp -d /tmp/keypost-pgp-stream.XXXXXX)
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
head -c $((mib * 1048576)) /dev/urandom >"$work/in.bin"

dotnet build -c Release bench/Keypost.Bench -v q 2>&1 | grep -E " error |rror\(s\)" || true
dotnet bench/Keypost.Bench/bin/Release/net10.0/Keypost.Bench.dll stream "$work/in.bin" "$rounds" "$work" | tee "$work/keypost.txt"

for who in leia@rebel.test luke@jedi.test; do
    gpg --batch --passphrase '' --quick-gen-key "$who" ed25519 sign never 2>/dev/null
    fpr=$(gpg --with-colons --list-keys "$who" | awk -F: '/^fpr/ {print $10; exit}')
    gpg --batch --passphrase '' --quick-add-key "$fpr" cv25519 encr never 2>/dev/null
done
best() { sort -n | head -1; }
enc=$(for _ in $(seq "$rounds"); do
    s=$(date +%s.%N)
    gpg --batch --yes --trust-model always -z 0 -u leia@rebel.test -r luke@jedi.test -r leia@rebel.test \
        --encrypt --sign -o "$work/gpg.pgp" "$work/in.bin"
    echo "$(date +%s.%N) - $s" | bc -l; done | best)
dec=$(for _ in $(seq "$rounds"); do
    s=$(date +%s.%N)
    gpg --batch --yes -o /dev/null -d "$work/gpg.pgp" 2>/dev/null
    echo "$(date +%s.%N) - $s" | bc -l; done | best)
size=$((mib * 1048576))
printf 'gpg -z 0 encrypt+sign %.3f s %.1f MB/s\n' "$enc" "$(echo "$size / $enc / 1000000" | bc -l)"
printf 'gpg -z 0 decrypt+verify %.3f s %.1f MB/s\n' "$dec" "$(echo "$size / $dec / 1000000" | bc -l)"
kenc=$(awk '/keypost encrypt/ {print $3}' "$work/keypost.txt")
kdec=$(awk '/keypost decrypt/ {print $3}' "$work/keypost.txt")
printf 'ratio keypost/gpg -z 0: encrypt+sign %.2f, decrypt+verify %.2f\n' "$(echo "$enc / $kenc" | bc -l)" "$(echo "$dec / $kdec" | bc -l)"

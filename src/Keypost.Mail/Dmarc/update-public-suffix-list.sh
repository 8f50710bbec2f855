#!/usr/bin/env bash
# Refreshes the vendored Public Suffix List (https://publicsuffix.org, MPL-2.0) that OrganizationalDomain reads
# (RFC 7489 §3.2). The source is Debian's `publicsuffix` package, which tracks the upstream list:
#   apt-get install publicsuffix && src/Keypost.Mail/Dmarc/update-public-suffix-list.sh
# or pass another copy of public_suffix_list.dat as the first argument. Commit the result with the date.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source="${1:-/usr/share/publicsuffix/public_suffix_list.dat}"
if [ ! -s "$source" ]; then
  echo "no list at $source (apt-get install publicsuffix, or pass a file)" >&2
  exit 1
fi
grep -q '^// ===BEGIN ICANN DOMAINS===' "$source" || { echo "$source does not look like the Public Suffix List" >&2; exit 1; }
cp "$source" "$here/public_suffix_list.dat"
echo "updated $here/public_suffix_list.dat ($(grep -vc '^//\|^$' "$here/public_suffix_list.dat") rules)"

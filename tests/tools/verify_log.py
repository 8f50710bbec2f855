#!/usr/bin/python3
"""Independent check of a Keypost transparency log, with the Python standard library only.

Fetches <prefix>checkpoint and the C2SP tlog-tiles of the tree over HTTPS, verifies the checkpoint's C2SP
signed-note Ed25519 signature with the given verifier key (Ed25519 written here from RFC 8032 section 5.1, as no
crypto module is guaranteed), checks every entry bundle against its level-0 tile, and recomputes the RFC 6962 /
RFC 9162 tree head from the tiles. Prints "OK <origin> <size> <root>" and exits 0, or names the failure and exits 1.

  verify_log.py --prefix https://openpgpkey.D/.well-known/openpgpkey/D/log/ --vkey VKEY [--cafile CA.pem]
                [--connect HOST:PORT]   (connect there instead of the prefix's host; SNI and Host stay the prefix's)
"""
import argparse
import base64
import hashlib
import http.client
import socket
import ssl
import sys
import urllib.parse

# --- Ed25519 verification (RFC 8032 section 5.1.7), on extended coordinates (section 5.1.4) ---
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    pa = (y1 - x1) * (y2 - x2) % P
    pb = (y1 + x1) * (y2 + x2) % P
    pc = 2 * t1 * t2 * D % P
    pd = 2 * z1 * z2 % P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(k, point):
    result = (0, 1, 1, 0)
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _decode(s):
    """RFC 8032 section 5.1.3; None when the 32 bytes are not a point."""
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def _same(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


_BY = 4 * pow(5, P - 2, P) % P
BASE = _decode(_BY.to_bytes(32, "little"))


def ed25519_verify(public, message, signature):
    if len(signature) != 64:
        return False
    a, r = _decode(public), _decode(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    return _same(_mul(s, BASE), _add(r, _mul(h, a)))


# --- C2SP signed-note and tlog-checkpoint ---
def parse_vkey(vkey):
    name, key_id, material = vkey.split("+", 2)
    raw = base64.b64decode(material, validate=True)
    if len(raw) != 33 or raw[0] != 1:
        raise ValueError("only Ed25519 verifier keys are supported")
    expected = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if bytes.fromhex(key_id) != expected:
        raise ValueError("verifier key ID does not match its name and key")
    return name, expected, raw[1:]


def verify_note(note, vkey):
    name, key_id, public = parse_vkey(vkey)
    text = note.decode("utf-8")
    if not text.endswith("\n") or "\n\n" not in text:
        raise ValueError("not a signed note")
    split = text.rindex("\n\n")
    body, signatures = text[: split + 1], text[split + 2 :].split("\n")[:-1]
    verified = False
    for line in signatures:
        if not line.startswith("\u2014 "):
            raise ValueError("malformed signature line")
        signer, blob = line[2:].split(" ")
        blob = base64.b64decode(blob, validate=True)
        if signer != name or blob[:4] != key_id:
            continue  # C2SP signed-note: signatures of unknown keys are ignored
        if not ed25519_verify(public, body.encode("utf-8"), blob[4:]):
            raise ValueError("the log's signature on the checkpoint does not verify")
        verified = True
    if not verified:
        raise ValueError("the checkpoint carries no signature by " + name)
    lines = body[:-1].split("\n")
    if len(lines) < 3 or lines[0] != name:
        raise ValueError("checkpoint origin is not the key's name")
    if not lines[1].isdigit() or (len(lines[1]) > 1 and lines[1][0] == "0"):
        raise ValueError("checkpoint size is malformed")
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise ValueError("checkpoint root is not 32 bytes")
    return lines[0], int(lines[1]), root


# --- C2SP tlog-tiles and RFC 9162 hashing ---
def tile_index(n):
    groups = []
    while True:
        groups.append("%03d" % (n % 1000))
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(["x" + g for g in groups[:-1]] + groups[-1:])


def mth(hashes):
    """RFC 9162 section 2.1.1 over leaf hashes: split at the largest power of two below n."""
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(hashes[:k]) + mth(hashes[k:])).digest()


class Fetcher:
    def __init__(self, prefix, cafile, connect):
        self.url = urllib.parse.urlsplit(prefix)
        if self.url.scheme != "https":
            raise ValueError("the prefix must be https")
        self.context = ssl.create_default_context(cafile=cafile)
        host, _, port = (connect or "%s:%d" % (self.url.hostname, self.url.port or 443)).rpartition(":")
        self.address = (host.strip("[]"), int(port))

    def get(self, path):
        sock = socket.create_connection(self.address, timeout=30)
        tls = self.context.wrap_socket(sock, server_hostname=self.url.hostname)
        conn = http.client.HTTPConnection(self.url.hostname)
        conn.sock = tls
        try:
            conn.request("GET", self.url.path + path, headers={"Host": self.url.hostname, "Accept-Encoding": "identity"})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise ValueError("GET %s answered %d" % (path, response.status))
            return body
        finally:
            conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--vkey", required=True)
    parser.add_argument("--cafile")
    parser.add_argument("--connect")
    args = parser.parse_args()
    try:
        fetch = Fetcher(args.prefix, args.cafile, args.connect)
        origin, size, root = verify_note(fetch.get("checkpoint"), args.vkey)
        leaves = []
        for n in range((size + 255) // 256):
            width = min(256, size - n * 256)
            suffix = "" if width == 256 else ".p/%d" % width
            tile = fetch.get("tile/0/%s%s" % (tile_index(n), suffix))
            if len(tile) != 32 * width:
                raise ValueError("tile %d is truncated (%d bytes for width %d)" % (n, len(tile), width))
            bundle = fetch.get("tile/entries/%s%s" % (tile_index(n), suffix))
            entries, offset = [], 0
            while offset < len(bundle):
                if offset + 2 > len(bundle):
                    raise ValueError("entry bundle %d is truncated" % n)
                length = int.from_bytes(bundle[offset : offset + 2], "big")
                if offset + 2 + length > len(bundle):
                    raise ValueError("entry bundle %d is truncated" % n)
                entries.append(bundle[offset + 2 : offset + 2 + length])
                offset += 2 + length
            if len(entries) != width:
                raise ValueError("entry bundle %d holds %d entries, not %d" % (n, len(entries), width))
            for i, entry in enumerate(entries):
                leaf = tile[32 * i : 32 * i + 32]
                if hashlib.sha256(b"\x00" + entry).digest() != leaf:
                    raise ValueError("entry %d does not hash to its tile" % (n * 256 + i))
                leaves.append(leaf)
        if mth(leaves) != root:
            raise ValueError("the tiles do not hash to the checkpoint's root")
    except (ValueError, OSError, ssl.SSLError, http.client.HTTPException) as e:
        print("FAIL " + str(e))
        return 1
    print("OK %s %d %s" % (origin, size, base64.b64encode(root).decode()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

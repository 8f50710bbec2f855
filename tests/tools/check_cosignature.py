#!/usr/bin/python3
"""Independent check of a witness's add-checkpoint answer, with the Python standard library only.

Reads the signed checkpoint that was submitted, the witness's 200 response body (C2SP tlog-witness: one or more
note signature lines), the log's vkey and the witness's vkey (C2SP tlog-cosignature, Ed25519, type 0x04).
Verifies the log's signature on the checkpoint (verify_log.py's C2SP signed-note check), then the witness's
cosignature over "cosignature/v1\\ntime <t>\\n" || checkpoint body. Ed25519 is verify_log.py's RFC 8032 code.
Prints "OK <witness name> <size> <timestamp>" and exits 0, or names the failure and exits 1.

  check_cosignature.py --checkpoint FILE --response FILE --log-vkey VKEY --witness-vkey VKEY
"""
import argparse
import base64
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verify_log import ed25519_verify, verify_note  # noqa: E402

COSIGNATURE_V1 = 0x04  # C2SP tlog-cosignature: Ed25519 cosignature key type


def parse_witness_vkey(vkey):
    name, key_id, material = vkey.strip().split("+", 2)
    raw = base64.b64decode(material, validate=True)
    if len(raw) != 33 or raw[0] != COSIGNATURE_V1:
        raise ValueError("the witness key is not an Ed25519 cosignature/v1 key")
    expected = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if bytes.fromhex(key_id) != expected:
        raise ValueError("witness key ID does not match its name and key")
    return name, expected, raw[1:]


def parse_response(body):
    """C2SP tlog-witness: one or more lines '\u2014 <name> <base64>', each ending in a newline."""
    if not body or not body.endswith("\n"):
        raise ValueError("the response does not end in a newline")
    lines = []
    for line in body[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise ValueError("a response line is not a note signature line")
        name, blob = line[2:].split(" ")
        lines.append((name, base64.b64decode(blob, validate=True)))
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--response", required=True)
    parser.add_argument("--log-vkey", required=True)
    parser.add_argument("--witness-vkey", required=True)
    args = parser.parse_args()
    try:
        with open(args.checkpoint, "rb") as f:
            note = f.read()
        with open(args.response, "rb") as f:
            response = f.read().decode("utf-8")
        origin, size, _ = verify_note(note, args.log_vkey)
        text = note.decode("utf-8")
        body = text[: text.rindex("\n\n") + 1]
        name, key_id, public = parse_witness_vkey(args.witness_vkey)
        found = None
        for signer, blob in parse_response(response):
            if signer != name or blob[:4] != key_id:
                continue  # C2SP tlog-witness: cosignatures from unknown keys are ignored
            if len(blob) != 4 + 8 + 64:
                raise ValueError("a cosignature is not key ID || u64 timestamp || 64-byte signature")
            timestamp = int.from_bytes(blob[4:12], "big")
            message = ("cosignature/v1\ntime %d\n" % timestamp).encode() + body.encode("utf-8")
            if not ed25519_verify(public, message, blob[12:]):
                raise ValueError("the cosignature by %s does not verify" % name)
            found = timestamp
        if found is None:
            raise ValueError("no cosignature by " + name)
        print("OK %s %s %d %d" % (name, origin, size, found))
        return 0
    except (ValueError, OSError, UnicodeDecodeError) as e:
        print("FAIL " + str(e))
        return 1


if __name__ == "__main__":
    sys.exit(main())

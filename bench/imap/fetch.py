#!/usr/bin/python3
"""Times IMAP fetches of a whole mailbox: all headers, then all bodies. Usage: fetch.py HOST PORT USER PASSWORD"""
import imaplib
import ssl
import sys
import time

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
imap = imaplib.IMAP4_SSL(host, port, ssl_context=context)
imap.login(user, password)
typ, data = imap.select("INBOX", readonly=True)
count = int(data[0])


def timed(items):
    start = time.perf_counter()
    typ, data = imap.fetch("1:*", items)
    elapsed = time.perf_counter() - start
    assert typ == "OK", typ
    octets = sum(len(part[1]) for part in data if isinstance(part, tuple))
    fetched = sum(1 for part in data if isinstance(part, tuple))
    assert fetched == count, (fetched, count)
    return elapsed, octets


headers, header_octets = timed("(UID FLAGS BODY.PEEK[HEADER])")
bodies, body_octets = timed("(BODY.PEEK[])")
imap.logout()
print(f"{count} {headers:.3f} {header_octets} {bodies:.3f} {body_octets}")

#!/usr/bin/python3
"""Times single IMAP operations on a large mailbox (issue #19). Usage:
  ops.py HOST PORT USER PASSWORD select        first SELECT (run right after a server restart)
  ops.py HOST PORT USER PASSWORD ops ROUNDS    NOOP after a delivery, STORE, EXPUNGE, UID FETCH 1:* (FLAGS), SEARCH SUBJECT
  ops.py HOST PORT USER PASSWORD idle N SECS   N sessions in IDLE for SECS seconds (the caller measures the server's CPU)
Prints one "name milliseconds" line per figure (median of ROUNDS)."""
import imaplib
import socket
import ssl
import statistics
import sys
import time

host, port, user, password, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE


def connect():
    imap = imaplib.IMAP4_SSL(host, port, ssl_context=context)
    imap._maxline = 10_000_000
    imap.login(user, password)
    return imap


def raw_session():
    """A plain TLS socket with INBOX selected: times a command without imaplib's per-line parsing in Python."""
    sock = context.wrap_socket(socket.create_connection((host, port)))
    lines = sock.makefile("rb")
    lines.readline()
    sock.sendall(f"r1 LOGIN {user} {password}\r\n".encode())
    raw_until(lines, b"r1 ")
    sock.sendall(b"r2 SELECT INBOX\r\n")
    raw_until(lines, b"r2 ")
    return sock, lines


def raw_until(lines, tag):
    count = 0
    while True:
        line = lines.readline()
        assert line, "connection closed"
        if line.startswith(tag):
            assert line[len(tag):].startswith(b"OK"), line
            return count
        count += 1


def ms(start):
    return (time.perf_counter() - start) * 1000


def check(result):
    typ, data = result
    assert typ == "OK", (typ, data)
    return data


MESSAGE = (b"From: Han <han@falcon.test>\r\nTo: luke@jedi.test\r\nSubject: one more\r\n"
           b"Message-ID: <new@falcon.test>\r\n\r\n" + b"x" * 3800 + b"\r\n")

if mode == "select":
    imap = connect()
    start = time.perf_counter()
    check(imap.select("INBOX"))
    print(f"select_after_restart {ms(start):.1f}")
    imap.logout()
elif mode == "ops":
    rounds = int(sys.argv[6])
    imap = connect()
    count = int(check(imap.select("INBOX"))[0])
    other = connect()
    raw, raw_lines = raw_session()
    figures = {k: [] for k in ("noop_after_delivery", "store_one_flag", "expunge_one", "uid_fetch_all_flags", "uid_fetch_all_flags_raw", "search_subject", "search_subject_one")}
    # The generated messages are "message 0" to "message N-1": "message N-1-r" is in exactly one subject.
    generated = int(check(imap.select("INBOX"))[0])
    for r in range(rounds):
        # NOOP after one delivery: another session appends (as a delivery would land), this one learns of it.
        check(other.append("INBOX", None, None, MESSAGE))
        time.sleep(0.5)
        start = time.perf_counter()
        check(imap.noop())
        figures["noop_after_delivery"].append(ms(start))
        count = int(check(imap.select("INBOX"))[0]) if r == 0 else count + 1
        start = time.perf_counter()
        check(imap.store(str(count), "+FLAGS.SILENT", "(\\Flagged)"))
        figures["store_one_flag"].append(ms(start))
        check(imap.store(str(count), "+FLAGS.SILENT", "(\\Deleted)"))
        start = time.perf_counter()
        check(imap.expunge())
        figures["expunge_one"].append(ms(start))
        count -= 1
        start = time.perf_counter()
        data = check(imap.uid("FETCH", "1:*", "(FLAGS)"))
        figures["uid_fetch_all_flags"].append(ms(start))
        assert len(data) >= count, (len(data), count)
        # The same FETCH read as bytes up to the tagged OK: the server's cost without imaplib's Python parsing,
        # which at 100k lines takes most of the figure above.
        start = time.perf_counter()
        raw.sendall(f"f{r} UID FETCH 1:* (FLAGS)\r\n".encode())
        fetched = raw_until(raw_lines, f"f{r} ".encode())
        figures["uid_fetch_all_flags_raw"].append(ms(start))
        assert fetched >= count, (fetched, count)
        start = time.perf_counter()
        hits = check(imap.search(None, "SUBJECT", f'"message {r * 7 + 3}"'))[0].split()
        figures["search_subject"].append(ms(start))
        assert len(hits) >= 1, hits
        # The same search for a subject only one message has: what the search costs when its answer does not grow
        # with the mailbox (the query above matches a ninth of it: 111 messages of 1k, 11,111 of 100k).
        start = time.perf_counter()
        hits = check(imap.search(None, "SUBJECT", f'"message {generated - 1 - r}"'))[0].split()
        figures["search_subject_one"].append(ms(start))
        assert len(hits) == 1, hits
    for name, values in figures.items():
        print(f"{name} {statistics.median(values):.1f}")
    raw.close()
    other.logout()
    imap.logout()
elif mode == "idle":
    n, seconds = int(sys.argv[6]), float(sys.argv[7])
    sessions = []
    for _ in range(n):
        imap = connect()
        check(imap.select("INBOX"))
        tag = imap._new_tag().decode()
        imap.send(f"{tag} IDLE\r\n".encode())
        assert imap.readline().startswith(b"+"), "no IDLE continuation"
        sessions.append((imap, tag))
    print("idling", flush=True)
    time.sleep(seconds)
    for imap, tag in sessions:
        imap.send(b"DONE\r\n")
        imap.shutdown()

#!/usr/bin/env python3
# Where a session's time goes, seen from the client: SESSIONS threads, a new connection per message (as smtp-source
# does), each step timed (connect, 220 banner, EHLO, MAIL, RCPT, DATA's 354, end of data -> 250, QUIT -> 221, close).
#   usage: bench/smtp/steps.py HOST PORT SESSIONS MESSAGES SIZE      e.g. 127.0.0.1 18025 20 3000 4096
# The server must accept sender@x.test -> luke@jedi.test: `keypost serve` with the keypost.json and dnsmasq of
# bench/smtp/run.sh. Python's GIL makes this client slower than smtp-source: compare the steps with each other and
# between builds, not its rate with run.sh's.
import socket, sys, threading, time, statistics
host, port, sessions, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
body = b"From: <sender@x.test>\r\nTo: <luke@jedi.test>\r\nSubject: t\r\n\r\n" + (b"x" * 76 + b"\r\n") * (size // 78) + b".\r\n"
steps = ["connect", "banner", "ehlo", "mail", "rcpt", "data", "eod", "quit", "close"]
res = {s: [] for s in steps}
lock = threading.Lock()
left = [count]
def readreply(f):
    while True:
        line = f.readline()
        if not line: raise EOFError
        if line[3:4] != b"-": return line
def one():
    t = [time.perf_counter()]
    s = socket.create_connection((host, port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb"); t.append(time.perf_counter())
    readreply(f); t.append(time.perf_counter())
    for cmd in [b"EHLO client.x.test\r\n", b"MAIL FROM:<sender@x.test>\r\n", b"RCPT TO:<luke@jedi.test>\r\n", b"DATA\r\n", body, b"QUIT\r\n"]:
        s.sendall(cmd); r = readreply(f); t.append(time.perf_counter())
        if r[:1] not in (b"2", b"3"): print("bad", r, file=sys.stderr)
    while s.recv(4096): pass
    t.append(time.perf_counter()); s.close(); f.close()
    with lock:
        for i, n in enumerate(steps): res[n].append((t[i+1]-t[i])*1000)
def worker():
    while True:
        with lock:
            if left[0] <= 0: return
            left[0] -= 1
        one()
t0 = time.perf_counter()
th = [threading.Thread(target=worker) for _ in range(sessions)]
[x.start() for x in th]; [x.join() for x in th]
el = time.perf_counter() - t0
print(f"{count} msgs in {el:.2f}s = {count/el:.0f}/s")
tot = 0
for n in steps:
    v = sorted(res[n]); m = statistics.mean(v); tot += m
    print(f"{n:8s} mean {m:7.2f} ms  p50 {v[len(v)//2]:7.2f}  p90 {v[int(len(v)*.9)]:7.2f}  p99 {v[int(len(v)*.99)]:7.2f}")
print(f"sum of means {tot:.2f} ms")

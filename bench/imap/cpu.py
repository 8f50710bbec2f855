#!/usr/bin/python3
"""Wall time and the server's CPU time (from /proc, via proc.py) of single IMAP operations on a raw TLS socket, for a
server already running on a large mailbox (issue #19). Usage:
  cpu.py PORT PID select    the first SELECT and the first UID FETCH 1:* (FLAGS) (run right after a restart)
  cpu.py PORT PID ops       20 STOREs of one flag, 10 STORE \\Deleted + EXPUNGE pairs, 5 UID FETCH 1:* (FLAGS)
Logs in as luke@jedi.test / bench-password, as bench/imap/scale.sh sets up. CPU has the kernel's tick resolution
(10 ms): per-operation figures are totals divided by the count."""
import os
import socket
import ssl
import statistics
import subprocess
import sys
import time

port, pid, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
proc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "proc.py")
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port)))
lines = sock.makefile("rb")
lines.readline()
counter = 0


def cpu_ms():
    return int(subprocess.run(["/usr/bin/python3", proc, pid], capture_output=True, text=True, check=True).stdout.split()[0])


def command(text):
    global counter
    counter += 1
    tag = f"c{counter} ".encode()
    sock.sendall(tag + text.encode() + b"\r\n")
    while True:
        line = lines.readline()
        assert line, "connection closed"
        if line.startswith(tag):
            assert line[len(tag):].startswith(b"OK"), line
            return


def timed(name, run, count):
    walls = []
    before = cpu_ms()
    for i in range(count):
        start = time.perf_counter()
        run(i)
        walls.append((time.perf_counter() - start) * 1000)
    used = cpu_ms() - before
    print(f"{name} wall_median_ms {statistics.median(walls):.1f} wall_max_ms {max(walls):.1f} server_cpu_ms_per_op {used / count:.1f}")


command("LOGIN luke@jedi.test bench-password")
if mode == "select":
    time.sleep(1)
    timed("first_select", lambda _: command("SELECT INBOX"), 1)
    timed("first_uid_fetch_all_flags", lambda _: command("UID FETCH 1:* (FLAGS)"), 1)
else:
    command("SELECT INBOX")
    timed("store_one_flag", lambda i: command(f"STORE {500 + i} {'+' if i % 2 == 0 else '-'}FLAGS.SILENT (\\Flagged)"), 20)
    timed("store_deleted_and_expunge_one", lambda _: (command("STORE 1 +FLAGS.SILENT (\\Deleted)"), command("EXPUNGE")), 10)
    timed("uid_fetch_all_flags", lambda _: command("UID FETCH 1:* (FLAGS)"), 5)

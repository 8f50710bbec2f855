#!/usr/bin/python3
"""Prints the CPU time (ms, user+system) and RSS (KiB) of a process and all its descendants. Usage: proc.py PID"""
import os
import sys

root = int(sys.argv[1])
children = {}
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except OSError:
            pass
ticks, rss, todo = 0, 0, [root]
hz = os.sysconf("SC_CLK_TCK")
while todo:
    pid = todo.pop()
    todo.extend(children.get(pid, []))
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
        with open(f"/proc/{pid}/status") as f:
            rss += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    except (OSError, StopIteration):
        pass
print(ticks * 1000 // hz, rss)

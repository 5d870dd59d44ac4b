"""CPU time spent by the server side (gunicorn and its workers, PostgreSQL and its backends), from /proc.

On a shared machine requests/s move with whatever else runs; the server's CPU time per request does not,
much. A benchmark reports it beside the throughput, and the throughput a scenario would reach with the
machine to itself follows from it (cores / CPU per request).
"""

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the fields after it are plain.
    return text[text.rindex(")") + 2 :].split()


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def cpu_seconds(roots: list[int]) -> float:
    """User + system time of each root process, of its children that ended (the kernel adds those to the
    root once reaped) and of its live children: the whole tree a server is, when its workers are direct
    children (gunicorn's workers; PostgreSQL's backends)."""
    ticks = 0
    for root in roots:
        fields = _stat(root)
        if fields is None:
            continue
        # After the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        # cutime cstime: utime is the 12th, cstime the 15th.
        ticks += sum(int(value) for value in fields[11:15])
        for child in _children(root):
            child_fields = _stat(child)
            if child_fields:
                ticks += int(child_fields[11]) + int(child_fields[12])
    return ticks / _TICK


def parent_of(pid: int) -> int:
    fields = _stat(pid)
    if fields is None:
        raise ProcessLookupError(pid)
    return int(fields[1])

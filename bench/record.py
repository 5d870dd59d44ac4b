"""What every benchmark result records about its run: the benchmark, when, the commit, and the machine
(other work on the machine lowers throughput, not the CPU per request: read the figures with its load)."""

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_header(benchmark: str, load_before: list[float]) -> dict:
    """``{"benchmark", "at", "commit", "machine"}`` for a result; ``load_before`` is ``os.getloadavg()`` as
    the run started, the load at its end is read now."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "benchmark": benchmark,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit.stdout.strip(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": load_before,
            "load_average_after": [round(value, 2) for value in os.getloadavg()],
        },
    }

"""Run a snippet under different Numba thread counts and compare what it computes."""

from __future__ import annotations

import os
import subprocess
import sys

_TEMPLATE = """
import hashlib
{setup}
h = hashlib.sha256()
for name, table in sorted(tables.items()):
    for column in table.columns:
        h.update(name.encode())
        h.update(column.to_string().encode())
print(h.hexdigest())
"""


def digests_by_thread_count(setup: str, counts: tuple[str, ...] = ("1", "2")) -> set[str]:
    """SHA-256 of the Arrow ``tables`` dict that ``setup`` defines, once per thread count."""
    script = _TEMPLATE.format(setup=setup)
    digests = set()
    for threads in counts:
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    return digests

"""Seed handling: one seed per run, normalised once, passed explicitly.

No module of `mutuals` touches NumPy's global random state; kernels receive
pre-drawn random numbers as arrays, never a generator.
"""

from __future__ import annotations

import numbers

import numpy as np

from mutuals.errors import InputError

__all__ = ["SeedLike", "check_random_state", "seed_entropy", "spawn"]

SeedLike = int | np.random.SeedSequence | np.random.Generator | None


def check_random_state(seed: SeedLike) -> np.random.Generator:
    """Turn ``seed`` into a :class:`numpy.random.Generator` (PCG64).

    Parameters
    ----------
    seed : int, SeedSequence, Generator or None
        ``None`` draws fresh OS entropy (not reproducible); an ``int`` >= 0 or a
        ``SeedSequence`` gives a reproducible stream; a ``Generator`` is used as is.
    """
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if int(seed) < 0:
            raise InputError(f"seed must be a non-negative integer, got {seed}")
        return np.random.default_rng(int(seed))
    raise InputError(
        f"seed must be None, a non-negative int, a SeedSequence or a Generator; got {type(seed).__name__}"
    )


def seed_entropy(seed: int | None) -> int:
    """Return the integer that reproduces a run: ``seed`` itself, or fresh entropy if None."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or int(seed) < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def spawn(seed: int, n: int) -> list[np.random.SeedSequence]:
    """Independent child seeds for ``n`` replicates of one run (``SeedSequence.spawn``)."""
    if n < 0:
        raise InputError(f"number of replicates must be >= 0, got {n}")
    return np.random.SeedSequence(seed_entropy(seed)).spawn(n)

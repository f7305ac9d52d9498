"""Accounts as columns: one array per attribute, index = account id."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from mutuals.errors import InputError

__all__ = ["Accounts"]


@dataclass
class Accounts:
    """The accounts of a platform.

    Attributes
    ----------
    community : int8 array
        Index into :attr:`community_names`.
    position : float32 array
        Left-right position in [-1, 1] (<0 left).
    activity : float32 array
        Expected sessions per simulated day (heavy-tailed, mean ~1).
    attention : int16 array
        Feed items read per session.
    follow_budget : int16 array
        Follows allowed per simulated day.
    is_bot : bool array
        Bad actors (SimSoM bots, infiltrators).
    community_names : list of str
    """

    community: NDArray[np.int8]
    position: NDArray[np.float32]
    activity: NDArray[np.float32]
    attention: NDArray[np.int16]
    follow_budget: NDArray[np.int16]
    is_bot: NDArray[np.bool_]
    community_names: list[str] = field(default_factory=lambda: ["all"])

    def __post_init__(self) -> None:
        n = self.community.shape[0]
        for name in ("position", "activity", "attention", "follow_budget", "is_bot"):
            a = getattr(self, name)
            if a.shape != (n,):
                raise InputError(f"accounts.{name} has shape {a.shape}, expected ({n},)")
        if n and (self.community.min() < 0 or self.community.max() >= len(self.community_names)):
            raise InputError("accounts.community holds an index outside community_names")
        if n and (self.attention.min() < 1):
            raise InputError("accounts.attention must be >= 1")
        if n and (self.activity.min() < 0):
            raise InputError("accounts.activity must be >= 0")

    @property
    def n(self) -> int:
        return int(self.community.shape[0])

    @classmethod
    def uniform(cls, n: int, *, attention: int = 15, follow_budget: int = 400) -> Accounts:
        """``n`` identical accounts in one community (activity 1, position 0)."""
        if n < 0:
            raise InputError(f"n must be >= 0, got {n}")
        return cls(
            community=np.zeros(n, np.int8),
            position=np.zeros(n, np.float32),
            activity=np.ones(n, np.float32),
            attention=np.full(n, attention, np.int16),
            follow_budget=np.full(n, follow_budget, np.int16),
            is_bot=np.zeros(n, np.bool_),
        )

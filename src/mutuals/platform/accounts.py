"""Accounts as columns: one array per attribute, index = account id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from mutuals.errors import InputError

__all__ = ["ROLES", "Accounts", "role_codes"]

#: What an account is, as data (MODEL.md: the organising community's members, the
#: mainstream, a hostile outside community, news outlets, widely read thinkers, bots).
ROLES = ("member", "mainstream", "hostile", "news", "thinker", "bot")


def role_codes(names: Iterable[str]) -> NDArray[np.int8]:
    """Role names to their codes in :data:`ROLES` (InputError naming an unknown one)."""
    out = []
    for name in names:
        if name not in ROLES:
            raise InputError(f"unknown role {name!r}; roles are {', '.join(ROLES)}")
        out.append(ROLES.index(name))
    return np.asarray(out, np.int8)


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
    role : int8 array, optional
        Index into :data:`ROLES`; default ``member``, ``bot`` where ``is_bot``.
    marginalised : bool array, optional
        Accounts of a marginalised group (the thread's "non-white, LGBTQ+
        accounts"), which start with fewer followers; default none.
    """

    community: NDArray[np.int8]
    position: NDArray[np.float32]
    activity: NDArray[np.float32]
    attention: NDArray[np.int16]
    follow_budget: NDArray[np.int16]
    is_bot: NDArray[np.bool_]
    community_names: list[str] = field(default_factory=lambda: ["all"])
    role: NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, np.int8))
    marginalised: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))

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
        if self.role.shape == (0,) and n:
            self.role = np.where(self.is_bot, ROLES.index("bot"), 0).astype(np.int8)
        if self.role.shape != (n,):
            raise InputError(f"accounts.role has shape {self.role.shape}, expected ({n},)")
        if n and (self.role.min() < 0 or self.role.max() >= len(ROLES)):
            raise InputError("accounts.role holds an index outside ROLES")
        if self.marginalised.shape == (0,) and n:
            self.marginalised = np.zeros(n, np.bool_)
        if self.marginalised.shape != (n,):
            raise InputError(
                f"accounts.marginalised has shape {self.marginalised.shape}, expected ({n},)"
            )

    @property
    def n(self) -> int:
        return int(self.community.shape[0])

    def extended(self, k: int) -> Accounts:
        """These accounts plus ``k`` more (community 0, role member, activity 0,
        the first account's attention and budget), to be filled in by the caller."""
        if k < 0:
            raise InputError(f"k must be >= 0, got {k}")

        def more(a: NDArray, fill: object) -> NDArray:
            return np.concatenate([a, np.full(k, fill, a.dtype)])

        first_att = self.attention[0] if self.n else 1
        first_budget = self.follow_budget[0] if self.n else 0
        return Accounts(
            community=more(self.community, 0),
            position=more(self.position, 0.0),
            activity=more(self.activity, 0.0),
            attention=more(self.attention, first_att),
            follow_budget=more(self.follow_budget, first_budget),
            is_bot=more(self.is_bot, False),
            community_names=list(self.community_names),
            role=more(self.role, 0),
            marginalised=more(self.marginalised, False),
        )

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

"""Numba kernels that give string keys integer codes in order of first appearance.

The keys are Arrow string arrays taken apart: ``offsets`` (int32 or int64, one
more than the rows) and ``data`` (the bytes). A key's code is its rank among
the distinct keys by first appearance, the same codes as Arrow's
``dictionary_encode`` over the same values in the same order (its twin in the
tests).

The table is open addressing with linear probing over ``slot_code`` (the code
stored in a slot, -1 for empty); each code keeps its 64-bit hash
(``code_hash``) and its bytes in an arena (``arena_off``, ``arena``), so a probe
compares the hash first and the bytes only when the hashes agree. Lookups of a
chunk of rows run in parallel and only read the table (:func:`lookup_rows`);
the rows they miss are then inserted one by one in row order
(:func:`insert_rows`), so the codes do not depend on the thread count.
Arrays in, arrays out; no randomness here.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = [
    "count_unequal",
    "decimal_values",
    "hash_bytes",
    "insert_direct",
    "insert_ints",
    "insert_rows",
    "lookup_direct",
    "lookup_ints",
    "lookup_rows",
    "new_table",
    "rehash",
    "rehash_ints",
]

#: Code of a row whose key a read-only lookup did not find.
MISSING = -2

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@nb.njit(cache=True, inline="always")
def _mix(v):  # pragma: no cover - jitted
    """The splitmix64 finaliser: every bit of ``v`` reaches the low bits a slot takes."""
    h = np.uint64(v)
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


@nb.njit(cache=True, inline="always")
def hash_bytes(data, a, b):  # pragma: no cover - jitted
    """FNV-1a over ``data[a:b]``, then :func:`_mix` (so the low bits mix)."""
    h = _FNV_OFFSET
    for p in range(a, b):
        h ^= np.uint64(data[p])
        h *= _FNV_PRIME
    return _mix(h)


@nb.njit(cache=True, inline="always")
def _same(data, a, b, arena, c0, c1):  # pragma: no cover - jitted
    if b - a != c1 - c0:
        return False
    for t in range(b - a):  # noqa: SIM110 (a loop: jitted)
        if data[a + t] != arena[c0 + t]:
            return False
    return True


@nb.njit(cache=True, inline="always")
def _find(slot_code, code_hash, arena_off, arena, data, a, b, h):  # pragma: no cover
    """Slot of the key ``data[a:b]`` (hash ``h``): its code's, or the empty slot where it goes."""
    mask = slot_code.shape[0] - 1
    s = np.int64(h & np.uint64(mask))
    while True:
        c = slot_code[s]
        if c < 0:
            return s
        if code_hash[c] == h and _same(data, a, b, arena, arena_off[c], arena_off[c + 1]):
            return s
        s = (s + 1) & mask


def new_table(expected: int) -> np.ndarray:
    """Empty slots for about ``expected`` keys (a power of two, at most half full)."""
    cap = 1024
    while cap < 2 * max(expected, 1):
        cap *= 2
    return np.full(cap, -1, dtype=np.int64)


@nb.njit(cache=True)
def rehash(code_hash, n_codes, cap):  # pragma: no cover - jitted
    """A table of ``cap`` slots (a power of two) holding codes ``0..n_codes-1``."""
    slot_code = np.full(cap, -1, np.int64)
    mask = cap - 1
    for c in range(n_codes):
        s = np.int64(code_hash[c] & np.uint64(mask))
        while slot_code[s] >= 0:
            s = (s + 1) & mask
        slot_code[s] = c
    return slot_code


@nb.njit(cache=True, parallel=True)
def lookup_rows(
    offsets, data, valid, slot_code, code_hash, arena_off, arena, out
):  # pragma: no cover
    """Codes of the rows ``offsets``/``data`` into ``out``, read-only and in parallel.

    ``valid`` is empty when no row is null, else a bool per row; a null row
    gets -1 and a key not in the table :data:`MISSING`.
    """
    n = offsets.shape[0] - 1
    has_nulls = valid.shape[0] > 0
    for i in nb.prange(n):
        if has_nulls and not valid[i]:
            out[i] = -1
            continue
        a = offsets[i]
        b = offsets[i + 1]
        h = hash_bytes(data, a, b)
        s = _find(slot_code, code_hash, arena_off, arena, data, a, b, h)
        c = slot_code[s]
        out[i] = c if c >= 0 else MISSING


@nb.njit(cache=True)
def insert_rows(
    offsets, data, out, slot_code, code_hash, arena_off, arena, n_codes, n_bytes
):  # pragma: no cover - jitted
    """Give the rows marked :data:`MISSING` in ``out`` their codes, in row order.

    A key seen for the first time gets the next code: its hash and bytes are
    appended (``code_hash``, ``arena_off``, ``arena`` have room for them: see
    the caller) and it takes the empty slot its probe ended on. Returns
    ``(n_codes, n_bytes, done)``: ``done`` is false when it stopped before an
    insert that would fill the table past half or overflow the arrays, with
    the rows before kept; the caller grows the arrays and calls again.
    """
    n = offsets.shape[0] - 1
    cap = slot_code.shape[0]
    for i in range(n):
        if out[i] != MISSING:
            continue
        a = offsets[i]
        b = offsets[i + 1]
        h = hash_bytes(data, a, b)
        s = _find(slot_code, code_hash, arena_off, arena, data, a, b, h)
        c = slot_code[s]
        if c < 0:
            size = b - a
            if (
                2 * (n_codes + 1) > cap
                or n_codes >= code_hash.shape[0]
                or n_bytes + size > arena.shape[0]
            ):
                return n_codes, n_bytes, False
            c = n_codes
            code_hash[c] = h
            arena[n_bytes : n_bytes + size] = data[a:b]
            n_bytes += size
            arena_off[c + 1] = n_bytes
            slot_code[s] = c
            n_codes += 1
        out[i] = c
    return n_codes, n_bytes, True


# ----------------------------------------------------------------------------- decimal ids
#
# Most account ids are decimal numbers (X, Mastodon, SNAP and simulated ids). A
# canonical decimal string (digits only, no leading zero unless it is "0", at
# most 19 digits and at most 2^62, above X's ids) is one int64, and two such strings are equal
# exactly when their values are: the key is then the value itself, with no
# bytes to compare, and ids below a bound index an array directly.

#: Largest value taken as a decimal id: a value v not yet coded is marked -3 - v in
#: place, which must fit int64.
_DECIMAL_MAX = np.uint64(2**62)


@nb.njit(cache=True, inline="always")
def _decimal(data, a, b):  # pragma: no cover - jitted
    """The value of the canonical decimal ``data[a:b]``, or -1 if it is not one."""
    size = b - a
    if size < 1 or size > 19 or (size > 1 and data[a] == 48):
        return -1
    v = np.uint64(0)
    for p in range(a, b):
        d = np.int64(data[p]) - 48
        if d < 0 or d > 9:
            return -1
        v = v * np.uint64(10) + np.uint64(d)
    if v > _DECIMAL_MAX:
        return -1
    return np.int64(v)


@nb.njit(cache=True, parallel=True)
def decimal_values(offsets, data, valid, out):  # pragma: no cover - jitted
    """Each row's decimal value into ``out``: -1 for a null row, -2 for a row
    that is not a canonical decimal."""
    n = offsets.shape[0] - 1
    has_nulls = valid.shape[0] > 0
    for i in nb.prange(n):
        if has_nulls and not valid[i]:
            out[i] = -1
            continue
        v = _decimal(data, offsets[i], offsets[i + 1])
        out[i] = v if v >= 0 else -2


@nb.njit(cache=True, parallel=True)
def lookup_direct(keys, code_of):  # pragma: no cover - jitted
    """Replace each value of ``keys`` by its code ``code_of[value]``, in place and
    in parallel: -1 (a null) stays, and a value ``v`` not yet coded becomes
    ``-3 - v`` for :func:`insert_direct`."""
    for i in nb.prange(keys.shape[0]):
        v = keys[i]
        if v >= 0:
            c = code_of[v]
            keys[i] = c if c >= 0 else -3 - v


@nb.njit(cache=True)
def insert_direct(keys, code_of, value_of, n_codes):  # pragma: no cover - jitted
    """Codes for the values :func:`lookup_direct` left, in row order: a value
    seen for the first time gets the next code (``value_of`` has room for every
    row). Returns ``n_codes``."""
    for i in range(keys.shape[0]):
        if keys[i] > -3:
            continue
        v = -3 - keys[i]
        c = code_of[v]
        if c < 0:
            c = n_codes
            code_of[v] = c
            value_of[c] = v
            n_codes += 1
        keys[i] = c
    return n_codes


@nb.njit(cache=True, parallel=True)
def lookup_ints(keys, slots):  # pragma: no cover - jitted
    """Replace each value of ``keys`` by its code in the table ``slots`` (pairs
    ``value, code`` side by side, so a probe reads one place; code -1 marks an
    empty slot), in place and in parallel: -1 (a null) stays, and a value ``v``
    not in the table becomes ``-3 - v`` for :func:`insert_ints`. Read-only on
    the table."""
    mask = slots.shape[0] // 2 - 1
    for i in nb.prange(keys.shape[0]):
        v = keys[i]
        if v < 0:
            continue
        s = np.int64(_mix(v) & np.uint64(mask))
        while True:
            c = slots[2 * s + 1]
            if c < 0:
                keys[i] = -3 - v
                break
            if slots[2 * s] == v:
                keys[i] = c
                break
            s = (s + 1) & mask


@nb.njit(cache=True)
def insert_ints(keys, slots, value_of, n_codes):  # pragma: no cover - jitted
    """Codes for the values :func:`lookup_ints` left, in row order. Returns
    ``(n_codes, done)``: ``done`` is false when it stopped before an insert that
    would fill the table past half or ``value_of``, with the rows before done;
    the caller grows them and calls again."""
    n_slots = slots.shape[0] // 2
    mask = n_slots - 1
    for i in range(keys.shape[0]):
        if keys[i] > -3:
            continue
        v = -3 - keys[i]
        s = np.int64(_mix(v) & np.uint64(mask))
        while True:
            c = slots[2 * s + 1]
            if c < 0 or slots[2 * s] == v:
                break
            s = (s + 1) & mask
        if c < 0:
            if 2 * (n_codes + 1) > n_slots or n_codes >= value_of.shape[0]:
                return n_codes, False
            c = n_codes
            slots[2 * s] = v
            slots[2 * s + 1] = c
            value_of[c] = v
            n_codes += 1
        keys[i] = c
    return n_codes, True


@nb.njit(cache=True)
def rehash_ints(value_of, n_codes, n_slots):  # pragma: no cover - jitted
    """A table of ``n_slots`` slots (a power of two) holding codes ``0..n_codes-1``."""
    slots = np.full(2 * n_slots, -1, np.int64)
    mask = n_slots - 1
    for c in range(n_codes):
        v = value_of[c]
        s = np.int64(_mix(v) & np.uint64(mask))
        while slots[2 * s + 1] >= 0:
            s = (s + 1) & mask
        slots[2 * s] = v
        slots[2 * s + 1] = c
    return slots


@nb.njit(cache=True)
def count_unequal(offsets, data, ref):  # pragma: no cover - jitted
    """How many rows of ``offsets``/``data`` differ from the bytes ``ref`` (serial:
    called once per chunk, where a parallel launch would cost more than the work)."""
    n = offsets.shape[0] - 1
    size = ref.shape[0]
    bad = 0
    for i in range(n):
        a = offsets[i]
        if offsets[i + 1] - a != size:
            bad += 1
            continue
        for t in range(size):
            if data[a + t] != ref[t]:
                bad += 1
                break
    return bad

"""AT Protocol building blocks: identifier syntax, DAG-CBOR, CIDs, CAR files, MST walk.

Small, dependency-free implementations of the parts of the AT Protocol specs
(https://atproto.com/specs) the Bluesky reader needs:

- identifier syntax (DID, handle, NSID, record key, AT-URI; "restricted" AT-URI
  syntax: no query or fragment);
- DAG-CBOR decoding (RFC 8949 with the DAG-CBOR restrictions; tag 42 is a CID link);
- CIDv1 parsing and their base32 string form (multibase prefix ``b``);
- CARv1 files (a varint-framed header and blocks);
- the repository Merkle Search Tree walk, giving ``collection/rkey -> record CID``.
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mutuals.errors import DataFormatError

__all__ = [
    "CID",
    "CarFile",
    "decode_dag_cbor",
    "is_at_uri",
    "is_did",
    "is_handle",
    "is_nsid",
    "is_record_key",
    "parse_at_uri",
    "read_car",
    "walk_mst",
]

_DID = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$")
_HANDLE = re.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)
_NSID = re.compile(
    r"^[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+"
    r"\.[a-zA-Z][a-zA-Z0-9]{0,62}$"
)
_RKEY = re.compile(r"^[a-zA-Z0-9._:~-]{1,512}$")
_AT_URI = re.compile(r"^at://([^/?#\s]+)(?:/([^/?#\s]+)(?:/([^/?#\s]+))?)?$")


def is_did(s: Any) -> bool:
    """True if ``s`` has DID syntax (``did:method:identifier``, at most 2 KiB)."""
    return isinstance(s, str) and len(s) <= 2048 and bool(_DID.match(s))


def is_handle(s: Any) -> bool:
    """True if ``s`` has handle syntax (a DNS name of at least two labels, at most 253 chars)."""
    return isinstance(s, str) and len(s) <= 253 and bool(_HANDLE.match(s))


def is_nsid(s: Any) -> bool:
    """True if ``s`` is a Namespaced Identifier (``app.bsky.feed.post``)."""
    return isinstance(s, str) and len(s) <= 317 and bool(_NSID.match(s))


def is_record_key(s: Any) -> bool:
    """True if ``s`` is a valid record key (not ``.`` or ``..``)."""
    return isinstance(s, str) and s not in (".", "..") and bool(_RKEY.match(s))


def parse_at_uri(s: Any) -> tuple[str, str | None, str | None] | None:
    """``(authority, collection, rkey)`` of a valid AT-URI, or None if it is invalid."""
    if not isinstance(s, str) or len(s) > 8192:
        return None
    m = _AT_URI.match(s)
    if m is None:
        return None
    auth, coll, rkey = m.groups()
    if not (is_did(auth) or is_handle(auth)):
        return None
    if coll is not None and not is_nsid(coll):
        return None
    if rkey is not None and not is_record_key(rkey):
        return None
    return auth, coll, rkey


def is_at_uri(s: Any) -> bool:
    """True if ``s`` is a valid (restricted-syntax) AT-URI."""
    return parse_at_uri(s) is not None


# -- CIDs --------------------------------------------------------------------


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise DataFormatError("truncated varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise DataFormatError("varint too long")


@dataclass(frozen=True)
class CID:
    """A content identifier (CIDv1 or CIDv0), kept as its binary form."""

    raw: bytes

    @classmethod
    def parse(cls, buf: bytes, pos: int = 0) -> tuple[CID, int]:
        """Read one binary CID from ``buf`` at ``pos``; return it and the end position."""
        start = pos
        if buf[pos : pos + 2] == b"\x12\x20":  # CIDv0: bare sha2-256 multihash
            end = pos + 34
            if end > len(buf):
                raise DataFormatError("truncated CIDv0")
            return cls(buf[start:end]), end
        version, pos = _varint(buf, pos)
        if version != 1:
            raise DataFormatError(f"unsupported CID version {version}")
        _codec, pos = _varint(buf, pos)
        _mh_code, pos = _varint(buf, pos)
        length, pos = _varint(buf, pos)
        end = pos + length
        if end > len(buf):
            raise DataFormatError("truncated CID multihash")
        return cls(buf[start:end]), end

    def __str__(self) -> str:
        if self.raw[:2] == b"\x12\x20":
            return _base58btc(self.raw)
        return "b" + base64.b32encode(self.raw).decode().lower().rstrip("=")


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58btc(raw: bytes) -> str:
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


# -- DAG-CBOR ----------------------------------------------------------------


def decode_dag_cbor(data: bytes) -> Any:
    """Decode one DAG-CBOR value; CID links (tag 42) become :class:`CID`.

    Raises
    ------
    DataFormatError
        On truncated or malformed input, trailing bytes, or CBOR features
        DAG-CBOR forbids (indefinite lengths, tags other than 42).
    """
    try:
        value, pos = _cbor(data, 0, 0)
    except (IndexError, struct.error, UnicodeDecodeError, RecursionError) as e:
        raise DataFormatError(f"malformed DAG-CBOR: {e}") from e
    if pos != len(data):
        raise DataFormatError(f"malformed DAG-CBOR: {len(data) - pos} trailing bytes")
    return value


def _cbor(b: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if depth > 256:
        raise DataFormatError("malformed DAG-CBOR: nesting too deep")
    ib = b[pos]
    pos += 1
    major, info = ib >> 5, ib & 0x1F
    if info < 24:
        arg = info
    elif info == 24:
        arg = b[pos]
        pos += 1
    elif info == 25:
        arg = struct.unpack_from(">H", b, pos)[0]
        pos += 2
    elif info == 26:
        arg = struct.unpack_from(">I", b, pos)[0]
        pos += 4
    elif info == 27:
        arg = struct.unpack_from(">Q", b, pos)[0]
        pos += 8
    else:
        raise DataFormatError(f"malformed DAG-CBOR: unsupported additional info {info}")
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        end = pos + arg
        if end > len(b):
            raise DataFormatError("malformed DAG-CBOR: truncated string")
        chunk = b[pos:end]
        return (bytes(chunk) if major == 2 else chunk.decode("utf-8")), end
    if major == 4:
        items = []
        for _ in range(arg):
            v, pos = _cbor(b, pos, depth + 1)
            items.append(v)
        return items, pos
    if major == 5:
        obj: dict[str, Any] = {}
        for _ in range(arg):
            k, pos = _cbor(b, pos, depth + 1)
            if not isinstance(k, str):
                raise DataFormatError("malformed DAG-CBOR: map key is not a string")
            v, pos = _cbor(b, pos, depth + 1)
            obj[k] = v
        return obj, pos
    if major == 6:
        if arg != 42:
            raise DataFormatError(f"malformed DAG-CBOR: tag {arg} (only 42 is allowed)")
        v, pos = _cbor(b, pos, depth + 1)
        if not isinstance(v, bytes) or not v or v[0] != 0:
            raise DataFormatError("malformed DAG-CBOR: tag 42 without a CID byte string")
        cid, end = CID.parse(v, 1)
        if end != len(v):
            raise DataFormatError("malformed DAG-CBOR: bytes after CID in tag 42")
        return cid, pos
    # major 7: simple values and floats
    if info == 20:
        return False, pos
    if info == 21:
        return True, pos
    if info == 22:
        return None, pos
    if info == 27:
        return struct.unpack(">d", struct.pack(">Q", arg))[0], pos
    raise DataFormatError(f"malformed DAG-CBOR: simple value {info}")


# -- CAR ---------------------------------------------------------------------


@dataclass
class CarFile:
    """A decoded CARv1 file: its root CIDs and its blocks by CID string."""

    roots: list[CID]
    blocks: dict[str, bytes]


def read_car(data: bytes) -> CarFile:
    """Parse a CARv1 file (header and blocks); blocks are not hash-verified."""
    try:
        hlen, pos = _varint(data, 0)
        header = decode_dag_cbor(data[pos : pos + hlen])
        pos += hlen
    except DataFormatError as e:
        raise DataFormatError(f"not a CAR file: bad header ({e})") from e
    if not isinstance(header, dict) or header.get("version") != 1:
        raise DataFormatError("not a CARv1 file: header version is not 1")
    roots = header.get("roots")
    if not isinstance(roots, list) or not all(isinstance(r, CID) for r in roots):
        raise DataFormatError("not a CARv1 file: header roots are not CIDs")
    blocks: dict[str, bytes] = {}
    while pos < len(data):
        blen, pos = _varint(data, pos)
        end = pos + blen
        if end > len(data) or blen == 0:
            raise DataFormatError(f"CAR block at byte {pos} is truncated")
        cid, cpos = CID.parse(data, pos)
        if cpos > end:
            raise DataFormatError(f"CAR block at byte {pos}: CID longer than the block")
        blocks[str(cid)] = data[cpos:end]
        pos = end
    return CarFile(roots, blocks)


def walk_mst(car: CarFile, root: CID) -> Iterator[tuple[str, CID]]:
    """Yield ``(key, record CID)`` of a repository MST in key order.

    Each node is ``{"l": left subtree | null, "e": [{"p": prefix length, "k": key
    suffix, "v": record CID, "t": right subtree | null}]}``; a key is the
    previous key's first ``p`` bytes followed by ``k``.
    """
    stack: list[Any] = [root]
    # Iterative in-order walk: items are CIDs of nodes to expand or (key, cid) leaves.
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            yield item
            continue
        raw = car.blocks.get(str(item))
        if raw is None:
            raise DataFormatError(f"MST node {item} is missing from the CAR file")
        node = decode_dag_cbor(raw)
        if not isinstance(node, dict) or not isinstance(node.get("e"), list):
            raise DataFormatError(f"MST node {item} is not a node")
        out: list[Any] = []
        if isinstance(node.get("l"), CID):
            out.append(node["l"])
        key = b""
        for e in node["e"]:
            if not isinstance(e, dict) or not isinstance(e.get("k"), bytes):
                raise DataFormatError(f"MST node {item} has a malformed entry")
            p = e.get("p", 0)
            if not isinstance(p, int) or p > len(key):
                raise DataFormatError(f"MST node {item}: prefix length out of range")
            key = key[:p] + e["k"]
            if not isinstance(e.get("v"), CID):
                raise DataFormatError(f"MST node {item}: entry without a record CID")
            out.append((key.decode("utf-8", "replace"), e["v"]))
            if isinstance(e.get("t"), CID):
                out.append(e["t"])
        stack.extend(reversed(out))

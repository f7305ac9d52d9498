"""AT Protocol building blocks: identifier syntax, DAG-CBOR, CIDs, CAR files, MST walk.

Small, dependency-free implementations of the parts of the AT Protocol specs
(https://atproto.com/specs) the Bluesky reader needs:

- identifier syntax (DID, handle, NSID, record key, AT-URI; "restricted" AT-URI
  syntax: no query or fragment);
- strict DAG-CBOR decoding (RFC 8949 with the DAG-CBOR and atproto data-model
  restrictions; tag 42 is a CID link) and a check of the JSON data model;
- CIDv1 parsing and their base32 string form (multibase prefix ``b``);
- CARv1 files (a varint-framed header and blocks, each checked against its CID's
  sha2-256 hash; damaged blocks are skipped with their byte offset);
- the repository Merkle Search Tree walk, giving ``collection/rkey -> record CID``.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mutuals.errors import DataFormatError

__all__ = [
    "CID",
    "CarFile",
    "check_data_model",
    "decode_dag_cbor",
    "is_at_uri",
    "is_cid",
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
            raise DataFormatError(f"truncated varint at byte {pos}")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise DataFormatError(f"varint too long at byte {pos}")


#: Multihash code of sha2-256, the hash of every atproto CID.
SHA2_256 = 0x12
#: Multicodec codes of the CIDs of atproto blocks: DAG-CBOR and raw (blobs).
DAG_CBOR, RAW = 0x71, 0x55


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
                raise DataFormatError(f"truncated CIDv0 at byte {start}")
            return cls(buf[start:end]), end
        version, pos = _varint(buf, pos)
        if version != 1:
            raise DataFormatError(f"unsupported CID version {version} at byte {start}")
        _codec, pos = _varint(buf, pos)
        _mh_code, pos = _varint(buf, pos)
        length, pos = _varint(buf, pos)
        end = pos + length
        if end > len(buf):
            raise DataFormatError(f"truncated CID multihash at byte {start}")
        return cls(buf[start:end]), end

    def multihash(self) -> tuple[int, bytes]:
        """``(hash function code, digest)`` of the CID's multihash."""
        pos = 0
        if self.raw[:2] != b"\x12\x20":
            _, pos = _varint(self.raw, 0)  # version
            _, pos = _varint(self.raw, pos)  # codec
        code, pos = _varint(self.raw, pos)
        length, pos = _varint(self.raw, pos)
        return code, self.raw[pos : pos + length]

    def verify(self, block: bytes) -> bool | None:
        """True if ``block`` hashes to this CID, False if not, None if the hash
        function is not sha2-256 (not checked)."""
        code, digest = self.multihash()
        if code != SHA2_256:
            return None
        return len(digest) == 32 and hashlib.sha256(block).digest() == digest

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


_CID_SYNTAX = re.compile(r"^[a-zA-Z0-9+=]{8,256}$")


def is_cid(s: Any) -> bool:
    """True if ``s`` has the atproto CID string syntax (CIDv0 ``Qm...`` is not supported)."""
    return isinstance(s, str) and bool(_CID_SYNTAX.match(s)) and not s.startswith("Qmb")


# -- DAG-CBOR ----------------------------------------------------------------

#: Deepest nesting of arrays and maps decoded (a record is far shallower).
MAX_DEPTH = 128
_INT64_MAX = (1 << 63) - 1
#: Smallest argument each additional-info width may carry (DAG-CBOR: minimal encoding).
_MIN_ARG = {24: 24, 25: 1 << 8, 26: 1 << 16, 27: 1 << 32}


class _Bad(Exception):
    def __init__(self, pos: int, why: str) -> None:
        super().__init__(why)
        self.pos = pos
        self.why = why


def decode_dag_cbor(data: bytes, *, offset: int = 0) -> Any:
    """Decode one DAG-CBOR value in the atproto data model; CID links (tag 42)
    become :class:`CID`.

    Strict: refuses what DAG-CBOR or the atproto data model forbid, so two
    decoders never read one block differently: indefinite lengths, integers and
    lengths not in their shortest form, map keys that are not strings, duplicate
    or out of canonical (length-first, then bytewise) order, tags other than 42,
    simple values other than true/false/null, floats (none in the atproto data
    model; NaN and infinities in none of DAG-CBOR either), integers outside
    64-bit signed, invalid UTF-8, and trailing bytes.

    Parameters
    ----------
    data : bytes
        One encoded value.
    offset : int
        Where ``data`` starts in its file: error messages give file byte offsets.

    Raises
    ------
    DataFormatError
        Naming the byte offset and what is wrong.
    """
    try:
        value, pos = _cbor(data, 0, 0)
        if pos != len(data):
            raise _Bad(pos, f"{len(data) - pos} trailing bytes")
    except _Bad as e:
        raise DataFormatError(f"malformed DAG-CBOR at byte {offset + e.pos}: {e.why}") from None
    return value


def _head(b: bytes, pos: int) -> tuple[int, int, int, int]:
    """``(major type, additional info, argument, position after the head)``."""
    if pos >= len(b):
        raise _Bad(pos, "truncated value")
    ib = b[pos]
    major, info = ib >> 5, ib & 0x1F
    if info < 24:
        return major, info, info, pos + 1
    if info > 27:
        raise _Bad(pos, "indefinite length or reserved additional info (not DAG-CBOR)")
    n = 1 << (info - 24)
    end = pos + 1 + n
    if end > len(b):
        raise _Bad(pos, "truncated value")
    arg = int.from_bytes(b[pos + 1 : end], "big")
    if major != 7 and arg < _MIN_ARG[info]:
        raise _Bad(pos, "integer or length not in its shortest encoding (not DAG-CBOR)")
    return major, info, arg, end


def _cbor(b: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise _Bad(pos, f"nested deeper than {MAX_DEPTH}")
    start = pos
    major, info, arg, pos = _head(b, pos)
    if major == 0:
        if arg > _INT64_MAX:
            raise _Bad(start, "integer beyond 64-bit signed")
        return arg, pos
    if major == 1:
        if arg > _INT64_MAX:
            raise _Bad(start, "integer beyond 64-bit signed")
        return -1 - arg, pos
    if major in (2, 3):
        end = pos + arg
        if end > len(b):
            raise _Bad(start, "truncated string")
        if major == 2:
            return bytes(b[pos:end]), end
        try:
            return b[pos:end].decode("utf-8"), end
        except UnicodeDecodeError:
            raise _Bad(start, "text string is not valid UTF-8") from None
    if major == 4:
        if arg > len(b) - pos:
            raise _Bad(start, "truncated array")
        items = []
        for _ in range(arg):
            v, pos = _cbor(b, pos, depth + 1)
            items.append(v)
        return items, pos
    if major == 5:
        if arg > len(b) - pos:
            raise _Bad(start, "truncated map")
        obj: dict[str, Any] = {}
        prev: bytes | None = None
        for _ in range(arg):
            kpos = pos
            kmajor, _, klen, kstart = _head(b, pos)
            if kmajor != 3:
                raise _Bad(kpos, "map key is not a string")
            kraw = bytes(b[kstart : kstart + klen])
            k, pos = _cbor(b, pos, depth + 1)
            if prev is not None:
                if kraw == prev:
                    raise _Bad(kpos, f"duplicate map key {k!r}")
                if (len(kraw), kraw) < (len(prev), prev):
                    raise _Bad(kpos, f"map key {k!r} out of canonical order (not DAG-CBOR)")
            prev = kraw
            v, pos = _cbor(b, pos, depth + 1)
            obj[k] = v
        return obj, pos
    if major == 6:
        if arg != 42:
            raise _Bad(start, f"tag {arg} (only 42, a CID link, is allowed)")
        vpos = pos
        v, pos = _cbor(b, pos, depth + 1)
        if not isinstance(v, bytes) or not v or v[0] != 0:
            raise _Bad(vpos, "tag 42 without a CID byte string")
        try:
            cid, end = CID.parse(v, 1)
        except (DataFormatError, IndexError) as e:
            raise _Bad(vpos, f"tag 42 with a malformed CID ({e})") from None
        if end != len(v):
            raise _Bad(vpos, "bytes after the CID in tag 42")
        return cid, pos
    # major 7: simple values and floats
    if info == 20:
        return False, pos
    if info == 21:
        return True, pos
    if info == 22:
        return None, pos
    if info == 27:
        f = struct.unpack(">d", arg.to_bytes(8, "big"))[0]
        if math.isnan(f) or math.isinf(f):
            raise _Bad(start, "NaN or infinite float (not DAG-CBOR)")
        raise _Bad(start, f"float {f!r} (floats are not in the atproto data model)")
    if info in (25, 26):
        raise _Bad(start, "16- or 32-bit float (not DAG-CBOR)")
    raise _Bad(start, f"simple value {arg if info == 24 else info} (not DAG-CBOR)")


# -- the atproto data model (JSON form) ----------------------------------------


def check_data_model(value: Any) -> None:
    """Check a record in the atproto JSON data model (https://atproto.com/specs/data-model).

    Refuses what the model forbids: a top level that is not an object, floats
    that are not whole numbers, integers beyond 64-bit signed, a ``$type`` that
    is not a non-empty string, ``$link`` / ``$bytes`` objects with other keys or
    of the wrong type, a ``$link`` that is not a CID, and blobs without a CID
    ``ref``, a string ``mimeType`` or an integer ``size``.

    Raises
    ------
    DataFormatError
        Naming the offending field's path (``$.embed.images[0].image.size``).
    """
    if not isinstance(value, dict):
        raise DataFormatError(f"record is a {type(value).__name__}, not an object")
    stack: list[tuple[Any, str, int]] = [(value, "$", 0)]
    while stack:
        v, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DataFormatError(f"{path}: nested deeper than {MAX_DEPTH}")
        if isinstance(v, bool) or v is None or isinstance(v, str):
            continue
        if isinstance(v, int):
            if not -_INT64_MAX - 1 <= v <= _INT64_MAX:
                raise DataFormatError(f"{path}: integer beyond 64-bit signed")
        elif isinstance(v, float):
            if not (math.isfinite(v) and v.is_integer()):
                raise DataFormatError(f"{path}: float {v!r} (floats are not in the data model)")
        elif isinstance(v, list):
            stack.extend((x, f"{path}[{i}]", depth + 1) for i, x in enumerate(v))
        elif isinstance(v, dict):
            _check_object(v, path)
            stack.extend((x, f"{path}.{k}", depth + 1) for k, x in v.items())
        else:
            raise DataFormatError(f"{path}: a {type(v).__name__} is not in the data model")


def _check_object(d: dict[str, Any], path: str) -> None:
    if "$link" in d:
        if len(d) != 1 or not is_cid(d["$link"]):
            raise DataFormatError(f"{path}: a $link must be a lone CID string")
    elif "$bytes" in d and (len(d) != 1 or not isinstance(d["$bytes"], str)):
        raise DataFormatError(f"{path}: a $bytes must be a lone base64 string")
    if "$type" in d:
        t = d["$type"]
        if not isinstance(t, str) or not t:
            raise DataFormatError(f"{path}.$type: not a non-empty string")
        if t == "blob":
            ref, size = d.get("ref"), d.get("size")
            if not (isinstance(ref, dict) and is_cid(ref.get("$link"))):
                raise DataFormatError(f"{path}.ref: a blob needs a CID link")
            if not isinstance(d.get("mimeType"), str):
                raise DataFormatError(f"{path}.mimeType: a blob needs a string mimeType")
            if not isinstance(size, int) or isinstance(size, bool):
                raise DataFormatError(f"{path}.size: a blob needs an integer size")


# -- CAR ---------------------------------------------------------------------


@dataclass
class CarFile:
    """A decoded CARv1 file: its root CIDs, its blocks by CID string, and the
    damage met on the way (byte offset, what was wrong), skipped.

    Every block kept matches its CID's sha2-256 hash (blocks with another hash
    function are kept unchecked; ``offsets`` gives each block's byte offset).
    """

    roots: list[CID]
    blocks: dict[str, bytes]
    damaged: list[tuple[int, str]] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)


#: A block's CID, as it starts a block of an atproto CAR (v1, DAG-CBOR or raw, sha2-256).
_CID_STARTS = (b"\x01\x71\x12\x20", b"\x01\x55\x12\x20")


def read_car(data: bytes) -> CarFile:
    """Parse a CARv1 file; damaged blocks are skipped, not fatal.

    A block whose bytes do not hash to its CID, or whose framing is unreadable,
    is listed in ``CarFile.damaged`` with its byte offset, and reading resumes
    at the next intact block. A damaged header gives no roots (``roots`` empty).

    Raises
    ------
    DataFormatError
        If the file is not a CAR file at all (no header and no intact block).
    """
    damaged: list[tuple[int, str]] = []
    roots: list[CID] = []
    try:
        hlen, pos = _varint(data, 0)
        if pos + hlen > len(data):
            raise DataFormatError("truncated header")
        header = decode_dag_cbor(data[pos : pos + hlen], offset=pos)
        if not isinstance(header, dict) or header.get("version") != 1:
            raise DataFormatError("header version is not 1")
        hroots = header.get("roots")
        if not isinstance(hroots, list) or not all(isinstance(r, CID) for r in hroots):
            raise DataFormatError("header roots are not CIDs")
        roots = hroots
        pos += hlen
    except DataFormatError as e:
        pos = _resync(data, 0)
        if pos >= len(data):
            raise DataFormatError(f"not a CAR file: bad header ({e})") from None
        damaged.append((0, f"CAR header unreadable ({e}); roots unknown"))
    car = CarFile(roots, {}, damaged)
    while pos < len(data):
        start = pos
        try:
            blen, bpos = _varint(data, pos)
            end = bpos + blen
            if blen == 0 or end > len(data):
                raise DataFormatError("block length runs past the end of the file")
            cid, cpos = CID.parse(data, bpos)
            if cpos > end:
                raise DataFormatError("CID longer than the block")
            body = data[cpos:end]
            if cid.verify(body) is False:
                raise DataFormatError(f"block does not match its CID {cid} (hash differs)")
        except (DataFormatError, IndexError) as e:
            pos = _resync(data, start + 1)
            car.damaged.append((start, f"{e}; skipped {pos - start} bytes"))
            continue
        key = str(cid)
        car.blocks[key] = body
        car.offsets[key] = start
        pos = end
    return car


def _resync(data: bytes, frm: int) -> int:
    """Offset of the next intact block (varint length, CID, bytes matching it) at or
    after ``frm``; ``len(data)`` if there is none."""
    finds = {p: data.find(p, frm) for p in _CID_STARTS}
    while True:
        live = [q for q in finds.values() if q >= 0]
        if not live:
            return len(data)
        q = min(live)
        for k in (1, 2, 3, 4):  # the length varint right before the CID
            s = q - k
            if s < frm:
                break
            try:
                blen, bpos = _varint(data, s)
                if bpos != q or q + blen > len(data):
                    continue
                cid, cpos = CID.parse(data, q)
                if cpos <= q + blen and cid.verify(data[cpos : q + blen]):
                    return s
            except DataFormatError:
                continue
        for p, at in finds.items():
            if at == q:
                finds[p] = data.find(p, q + 1)


def walk_mst(car: CarFile, root: CID, lost: list[str] | None = None) -> Iterator[tuple[str, CID]]:
    """Yield ``(key, record CID)`` of a repository MST in key order.

    Each node is ``{"l": left subtree | null, "e": [{"p": prefix length, "k": key
    suffix, "v": record CID, "t": right subtree | null}]}``; a key is the
    previous key's first ``p`` bytes followed by ``k``.

    A node missing from the CAR file or malformed raises :class:`DataFormatError`;
    with ``lost`` given, its description is appended there instead and the walk
    goes on without that subtree.
    """
    stack: list[Any] = [root]
    seen: set[str] = set()
    # Iterative in-order walk: items are CIDs of nodes to expand or (key, cid) leaves.
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            yield item
            continue
        try:
            out = _mst_node(car, item, seen)
        except DataFormatError as e:
            if lost is None:
                raise
            lost.append(str(e))
            continue
        stack.extend(reversed(out))


def _mst_node(car: CarFile, item: CID, seen: set[str]) -> list[Any]:
    name = str(item)
    if name in seen:
        raise DataFormatError(f"MST node {name} is reached twice (a cycle)")
    seen.add(name)
    raw = car.blocks.get(name)
    if raw is None:
        raise DataFormatError(f"MST node {name} is missing or damaged in the CAR file")
    node = decode_dag_cbor(raw, offset=car.offsets.get(name, 0))
    if not isinstance(node, dict) or not isinstance(node.get("e"), list):
        raise DataFormatError(f"MST node {name} is not a node")
    out: list[Any] = []
    if isinstance(node.get("l"), CID):
        out.append(node["l"])
    key = b""
    for e in node["e"]:
        if not isinstance(e, dict) or not isinstance(e.get("k"), bytes):
            raise DataFormatError(f"MST node {name} has a malformed entry")
        p = e.get("p", 0)
        if not isinstance(p, int) or not 0 <= p <= len(key):
            raise DataFormatError(f"MST node {name}: prefix length out of range")
        key = key[:p] + e["k"]
        if not isinstance(e.get("v"), CID):
            raise DataFormatError(f"MST node {name}: entry without a record CID")
        out.append((key.decode("utf-8", "replace"), e["v"]))
        if isinstance(e.get("t"), CID):
            out.append(e["t"])
    return out

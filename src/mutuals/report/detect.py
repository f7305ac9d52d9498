"""``mutuals detect``: the coordination signals on a store, written for a moderator.

:func:`detect_store` runs :func:`mutuals.metrics.coordination.detect_coordination`
on a canonical store; :func:`write_detection` writes a detection folder
(:class:`~mutuals.io.folders.FolderWriter`, kind ``"detection"``):

- ``scores.parquet``: one row per account (:data:`SCORES_COLUMNS`), by rank;
- ``groups.parquet``: ``group_id, signal, platform, account_id``;
- ``groups.graphml``: the groups' networks (co-actions, mutual follows);
- ``evidence.parquet``: the store's rows behind every flag (:data:`EVIDENCE_COLUMNS`);
- ``detect.json``: parameters, thresholds, counts per signal, the top accounts;
- ``detect.html``: one self-contained page (no script, nothing fetched) that
  lists every flagged account with its evidence rows and the threshold each
  passed (:func:`render_detect_page`).

Every string from the data (handles, post text, ids) is shown as text: the
page is rendered with autoescape on and every field cleaned of controls and
bidi overrides (:mod:`mutuals.report.page`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from mutuals.errors import InputError
from mutuals.io.folders import FolderWriter
from mutuals.io.store import Store
from mutuals.metrics.coordination import (
    EVIDENCE_COLUMNS,
    GROUPS_COLUMNS,
    SCORES_COLUMNS,
    SIGNALS,
    Detection,
    DetectParams,
    coordination_graph,
    detect_coordination,
)
from mutuals.report._json import json_safe
from mutuals.report.page import CSP, environment, fmt, line, meta_value, short
from mutuals.tables import SCHEMAS

__all__ = [
    "EVIDENCE_COLUMNS",
    "FILES",
    "GROUPS_COLUMNS",
    "SCORES_COLUMNS",
    "SIGNAL_WORDS",
    "detect_store",
    "format_detection",
    "render_detect_page",
    "write_detection",
]

#: The files of a detection folder, ``detect.json`` last.
FILES = (
    "scores.parquet",
    "groups.parquet",
    "groups.graphml",
    "evidence.parquet",
    "detect.html",
    "detect.json",
)

#: What each signal measures, in a moderator's words.
SIGNAL_WORDS = {
    "arrival": "Many accounts first used the hashtag (or first followed its users) within a "
    "short window, far more than the hours around it.",
    "coaction": "Reposted the same posts, replied to the same posts, shared the same links or "
    "the same hashtag sequence within seconds of the same other accounts, again and again.",
    "follow_core": "Sits in a dense core of accounts that all follow each other (a follow "
    "train's structure).",
    "follow_burst": "Made a burst of follows (and follow-backs) within a short time.",
    "follower_growth": "Gained most of its followers right after it first used the hashtag.",
    "follow_back": "Follows back a far larger share of its followers than its community does.",
    "drift": "Its early actions matched the community and its later ones did not (the "
    "incognito pattern).",
}

_PAGE_ACCOUNTS = 200  # flagged accounts shown with their evidence
_PAGE_GROUPS = 100
_PAGE_MEMBERS = 60
_TEXT_LIMIT = 280


def detect_store(store: Store, params: DetectParams | None = None, **overrides: Any) -> Detection:
    """:func:`~mutuals.metrics.coordination.detect_coordination` on a store's tables.

    Only the columns the signals read are loaded (and each post's text, for
    the evidence shown on the page; and its ``stance`` once the canonical
    posts carry one, which the drift signal then reads).
    """
    posts_cols = [
        "platform", "post_id", "author_id", "created_at", "kind", "hashtags", "urls",
        "repost_of_id", "parent_id", "text",
    ]  # fmt: skip
    if "stance" in SCHEMAS["posts"].names:  # a post's shown position, where the store has it
        posts_cols.append("stance")
    inter_cols = [
        "platform",
        "kind",
        "source_id",
        "target_id",
        "post_id",
        "created_at",
        "record_id",
    ]
    return detect_coordination(
        store.table("accounts", ["platform", "account_id", "handle", "created_at"]),
        store.table("follows", ["platform", "follower_id", "friend_id", "created_at"]),
        store.table("posts", posts_cols),
        store.table("interactions", inter_cols),
        params,
        **overrides,
    )


def write_detection(
    detection: Detection,
    out: str | Path,
    *,
    meta: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    writer: FolderWriter | None = None,
) -> list[Path]:
    """Write the detection folder (module docstring) as one transaction.

    ``meta`` (the store, the command) goes into ``detect.json`` and the page.
    A folder holding another kind of output, or files mutuals did not write,
    is refused (``overwrite`` writes beside such files, never replacing one).
    """
    if writer is None:
        with FolderWriter(out, "detection", overwrite=overwrite, what="--out") as w:
            return _write(w, detection, meta or {})
    return _write(writer, detection, meta or {})


def _write(w: FolderWriter, d: Detection, meta: Mapping[str, Any]) -> list[Path]:
    import networkx as nx

    try:
        for name, table in (
            ("scores.parquet", d.scores),
            ("groups.parquet", d.groups),
            ("evidence.parquet", d.evidence),
        ):
            tmp = w.temp_file(name)
            pq.write_table(table, tmp)
            w.stage(name, tmp)
        tmp = w.temp_file("groups.graphml")
        nx.write_graphml(coordination_graph(d), tmp)
        w.stage("groups.graphml", tmp)
        w.write_text("detect.html", render_detect_page(d, meta=meta))
        summary = {**d.summary, "meta": dict(meta)}
        w.write_text(
            "detect.json", json.dumps(json_safe(summary), indent=2, allow_nan=False) + "\n"
        )
        return w.commit(last="detect.json")
    except OSError as e:
        raise InputError(
            f"cannot write the detection to {str(w.path)!r}: {e.strerror or e}"
        ) from None


# ----------------------------------------------------------------------------- the page


def _score(x: Any) -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else fmt(float(x))


def _thresholds(th: Mapping[str, Any]) -> str:
    parts = []
    for k, v in th.items():
        if v is None:
            continue
        parts.append(f"{k} = {fmt(v) if isinstance(v, float) else v}")
    return line("; ".join(parts))


def _by_signal(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An account's evidence rows grouped by signal, each group with its threshold."""
    out: dict[str, dict[str, Any]] = {}
    for e in rows:
        g = out.setdefault(
            e["signal"], {"signal": e["signal"], "threshold": line(e["threshold"]), "rows": []}
        )
        g["rows"].append(
            {
                "table": e["table"],
                "row_id": line(e["row_id"] or ""),
                "time": e["time"].strftime("%Y-%m-%d %H:%M:%S UTC") if e["time"] else "",
                "detail": short(line(e["detail"]), 600),
            }
        )
    return list(out.values())


def render_detect_page(detection: Detection, *, meta: Mapping[str, Any] | None = None) -> str:
    """The moderator's page of a detection (self-contained HTML, see the module docstring)."""
    d = detection
    s = d.summary
    sc = d.scores
    flagged_n = int(s["flagged"])
    rows = sc.filter(sc.column("flagged")).slice(0, _PAGE_ACCOUNTS).to_pylist()
    ev = d.evidence
    by_account: dict[tuple[str, str], list[dict[str, Any]]] = {}
    if rows:
        wanted = {(r["platform"], r["account_id"]) for r in rows}
        for e in ev.to_pylist():
            key = (e["platform"], e["account_id"])
            if key in wanted:
                by_account.setdefault(key, []).append(e)
    groups_of: dict[tuple[str, str], list[str]] = {}
    for g in d.groups.to_pylist():
        groups_of.setdefault((g["platform"], g["account_id"]), []).append(g["group_id"])
    accounts = []
    for r in rows:
        key = (r["platform"], r["account_id"])
        flags = set((r["flags"] or "").split(",")) - {""}
        accounts.append(
            {
                "anchor": f"rank-{r['rank']}",
                "handle": line(r["handle"]) if r["handle"] else "",
                "account_id": line(r["account_id"]),
                "platform": line(r["platform"]),
                "rank": r["rank"],
                "combined": _score(r["combined"]),
                "signals": [
                    {"name": n, "score": _score(r[n]), "flagged": n in flags} for n in SIGNALS
                ],
                "flags": [n for n in SIGNALS if n in flags],
                "groups": [line(g) for g in groups_of.get(key, [])],
                "evidence": _by_signal(by_account.get(key, [])),
            }
        )
    signals = [
        {
            "name": n,
            "words": SIGNAL_WORDS[n],
            "available": v["available"],
            "note": line(v.get("note") or ""),
            "flagged": v["flagged"],
            "scored": v["scored"],
            "thresholds": _thresholds(v["thresholds"]),
        }
        for n, v in s["signals"].items()
    ]
    groups: dict[str, dict[str, Any]] = {}
    handle_of = dict(
        zip(
            zip(
                sc.column("platform").to_pylist(), sc.column("account_id").to_pylist(), strict=True
            ),
            sc.column("handle").to_pylist(),
            strict=True,
        )
    )
    for g in d.groups.to_pylist():
        gg = groups.setdefault(g["group_id"], {"id": line(g["group_id"]), "signal": g["signal"],
                                                "members": [], "size": 0})  # fmt: skip
        gg["size"] += 1
        if len(gg["members"]) < _PAGE_MEMBERS:
            h = handle_of.get((g["platform"], g["account_id"]))
            gg["members"].append(line(f"@{h}" if h else g["account_id"]))
    unflagged = sc.filter(pc.invert(sc.column("flagged"))).slice(0, 20).to_pylist()
    top_unflagged = [
        {
            "rank": r["rank"],
            "who": line(f"@{r['handle']}" if r["handle"] else r["account_id"]),
            "combined": _score(r["combined"]),
            "signals": [_score(r[n]) for n in SIGNALS],
        }
        for r in unflagged
    ]
    params = s["parameters"]
    meta_rows = [(line(k), meta_value(v)) for k, v in (meta or {}).items()]
    meta_rows += [
        (
            "hashtag",
            line(f"#{params['hashtag']}") if params.get("hashtag") else "none (every hashtag)",
        ),
        ("accounts", f"{s['accounts']:,}"),
        ("flagged", f"{flagged_n:,}"),
        (
            "combination",
            line(s["combined"]["method"] + ": " + ", ".join(s["combined"]["signals_used"])),
        ),
        (
            "skipped rows",
            meta_value({k: v for k, v in s["skipped"].items() if v})
            if any(s["skipped"].values())
            else "none",
        ),
    ]
    title = "Possible infiltrators and coordinated groups"
    return str(
        environment()
        .get_template("detect.html.j2")
        .render(
            title=title,
            csp=CSP,
            meta=meta_rows,
            signals=signals,
            signal_names=list(SIGNALS),
            accounts=accounts,
            flagged=flagged_n,
            shown=len(accounts),
            groups=list(groups.values())[:_PAGE_GROUPS],
            n_groups=len(groups),
            top_unflagged=top_unflagged,
        )
    )


def format_detection(detection: Detection, *, top: int = 10) -> str:
    """A short plain-text summary for the terminal."""
    s = detection.summary
    out = [f"accounts {s['accounts']:,}, flagged {s['flagged']:,}, groups {s['groups']:,}"]
    for n, v in s["signals"].items():
        if not v["available"]:
            out.append(f"  {n:<16} not available: {v['note']}")
        else:
            out.append(f"  {n:<16} flagged {v['flagged']:>7,}   {_thresholds(v['thresholds'])}")
            if v.get("note"):
                out.append(f"  {'':<16} note: {line(v['note'])}")
    if s["top"]:
        out.append("top accounts (by signals flagged, then combined score):")
        for r in s["top"][:top]:
            who = f"@{r['handle']}" if r["handle"] else r["account_id"]
            out.append(
                f"  {r['rank']:>4}. {line(who):<24} {r['combined']:.3f}  {r['flags'] or '-'}"
            )
    return "\n".join(out)

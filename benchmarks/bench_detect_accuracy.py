"""How well each signal of `mutuals detect` finds C5's infiltrators (a benchmark,
not a test): precision, recall and ROC AUC per signal and for the combination,
against the labels the simulator knows (``community == "infiltrators"``), which
no signal reads.

Runs the C5 claim file's ``open`` and ``incognito`` arms at 20,000 accounts, at
two infiltration sizes (0.5% and 0.2% of the population) and two delays (the
tick after the hashtag is first used, and a day later), plus incognito
infiltrators that turn early (``reveal_followers = 5``), incognito ones that
trickle in (20 waves of 0.025%, six hours apart), and the ``none`` arm
(no infiltrators: every flag there is a false positive). Each run is detected
twice: on its canonical tables as written (posts carry the stance their
author showed, as ``io/simstore.py`` exports it), and with ``posts.stance``
dropped (as in most real data), so the drift signal falls back on whom
accounts interact with.

Precision and recall are of each signal's own flags; AUC is of its score (an
account a signal does not apply to ranks lowest). ``combined`` is the
project's combination (the Cauchy combination, see
``mutuals.metrics.coordination``), ``flagged`` any signal's flag; ``p@k`` is
the precision of the top k accounts by the project's rank (accounts flagged
by more signals first, then the combination), k the number of infiltrators.
For comparison, ``cauchy@k``, ``fisher@k`` and ``minp@k`` rank the same
signal scores by the Cauchy combination alone, Fisher's method and the
smallest p-value (Tippett), ignoring the flags.

    python benchmarks/bench_detect_accuracy.py                # 1 seed per setting
    python benchmarks/bench_detect_accuracy.py --seeds 3 --accounts 20000
"""

from __future__ import annotations

import argparse
import copy
import time
from typing import Any

import numpy as np


def auc(score: np.ndarray, y: np.ndarray) -> float:
    """ROC AUC (Mann-Whitney, ties counted half); NaN scores rank lowest."""
    from scipy.stats import rankdata

    s = np.where(np.isfinite(score), score, -np.inf)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(s)
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def pr(flag: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    tp = int((flag & y).sum())
    prec = tp / int(flag.sum()) if flag.any() else float("nan")
    rec = tp / int(y.sum()) if y.any() else float("nan")
    return prec, rec


def setting(
    cf: Any, arm: str, share: float, delay: int, reveal: int | None, n: int, waves: int = 1
) -> Any:
    """The arm with its infiltrators' share, delay (ticks after the hashtag's
    first use) and reveal threshold changed; with ``waves`` > 1 they arrive in
    that many equal waves six hours apart instead of one burst."""
    from mutuals.scenarios.load import scenario_from_mapping

    m = copy.deepcopy(cf.arms[arm])
    events = []
    for e in m.get("events", []):
        if "add_accounts" not in e:
            events.append(e)
            continue
        e["add_accounts"]["share"] = share / waves
        if reveal is not None and e["add_accounts"].get("disguise") == "incognito":
            e["add_accounts"]["reveal_followers"] = reveal
        for k in range(waves):
            w = copy.deepcopy(e)
            w["when"]["delay"] = delay + 6 * k
            events.append(w)
    m["events"] = events
    sc = scenario_from_mapping(m, name=f"C5-{arm}")
    return sc.with_overrides({"accounts": n})


def evaluate(run: Any, *, stance: bool) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    from mutuals.metrics.coordination import SIGNALS, detect_coordination

    t = run.canonical()
    posts = t["posts"]
    if not stance:
        posts = posts.drop_columns(["stance"])
    d = detect_coordination(
        t["accounts"], t["follows"], posts, t["interactions"], hashtag="topic19"
    )
    acc = t["accounts"]
    truth = dict(zip(acc["account_id"].to_pylist(), acc["community"].to_pylist(), strict=True))
    sc = d.scores
    y = np.asarray(
        pc.equal(
            pa.array([truth.get(a) for a in sc["account_id"].to_pylist()], pa.string()),
            "infiltrators",
        )
        .fill_null(False)
        .to_numpy(zero_copy_only=False)
    )
    flags = sc["flags"].to_pylist()
    out: dict[str, Any] = {"n": int(y.sum()), "accounts": sc.num_rows}
    for s in (*SIGNALS, "combined"):
        score = sc[s].to_numpy(zero_copy_only=False).astype(np.float64)
        if s == "combined":
            flag = sc["flagged"].to_numpy(zero_copy_only=False)
        else:
            flag = np.asarray([s in (f or "").split(",") for f in flags])
        p, r = pr(flag, y)
        out[s] = {"auc": auc(score, y), "precision": p, "recall": r, "flagged": int(flag.sum())}
    k = max(int(y.sum()), 1)
    out["p@k"] = float(y[:k].mean())  # scores are sorted by rank
    out.update(alternatives(d, y, k))
    out["revealed"] = int((run.model.state.revealed_at >= 0).sum())
    return out


def alternatives(d: Any, y: np.ndarray, k: int) -> dict[str, float]:
    """Precision at k of the Cauchy combination alone, of Fisher's method and of
    the smallest p-value over the same signals' empirical upper-tail p-values
    (ties by account order)."""
    from mutuals.metrics.coordination import upper_tail

    used = d.summary["combined"]["signals_used"]
    if not used:
        return {"cauchy@k": float("nan"), "fisher@k": float("nan"), "minp@k": float("nan")}
    sc = d.scores
    p = np.stack(
        [upper_tail(sc[s].to_numpy(zero_copy_only=False).astype(np.float64)) for s in used]
    )
    order = np.arange(sc.num_rows)
    fisher = np.lexsort((order, np.log(p).sum(axis=0)))
    minp = np.lexsort((order, p.min(axis=0)))
    cauchy = np.lexsort((order, -sc["combined"].to_numpy(zero_copy_only=False)))
    return {
        "cauchy@k": float(y[cauchy[:k]].mean()),
        "fisher@k": float(y[fisher[:k]].mean()),
        "minp@k": float(y[minp[:k]].mean()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--only", default="", help="arms to run (none,open,incognito) or 'trickle'")
    args = ap.parse_args()

    import mutuals
    from mutuals.claims.design import SCENARIOS, load_claim_file
    from mutuals.metrics.coordination import SIGNALS

    cf = load_claim_file(SCENARIOS / "C5-infiltrators.toml")
    settings = [("none", 0.0, 0, None, 1)]
    for arm in ("open", "incognito"):
        for share in (0.005, 0.002):
            for delay in (0, 24):
                settings.append((arm, share, delay, None, 1))
    settings.append(("incognito", 0.005, 0, 5, 1))
    settings.append(("incognito", 0.005, 24, 5, 1))
    settings.append(("incognito", 0.005, 0, None, 20))  # a trickle: 20 waves of 5
    if args.only:
        settings = [x for x in settings if x[0] in args.only.split(",") or
                    (args.only == "trickle" and x[4] > 1)]  # fmt: skip
    cols = [*SIGNALS, "combined"]
    print(f"C5 at {args.accounts:,} accounts, {args.seeds} seed(s) per setting; "
          "AUC / precision / recall of each signal's flags")  # fmt: skip
    head = f"{'setting':<34}{'posts':<8}" + "".join(f"{c[:12]:>14}" for c in cols)
    print(head + f"{'p@k':>7}{'cchy@k':>7}{'fish@k':>7}{'minp@k':>7}{'n':>5}{'turned':>7}"
          f"{'secs':>6}")  # fmt: skip
    for arm, share, delay, reveal, waves in settings:
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            sc = setting(cf, arm, share or 0.005, delay, reveal, args.accounts, waves)
            run = mutuals.run(sc, seed=100 + seed)
            for stance in (False, True):
                res = evaluate(run, stance=stance)
                name = f"{arm} {share:.1%} +{delay}t" + (f" rev{reveal}" if reveal else "")
                name += f" {waves} waves" if waves > 1 else ""
                if arm == "none":
                    name = "none (no infiltrators)"
                cells = []
                for c in cols:
                    r = res[c]
                    if arm == "none":
                        cells.append(f"{'fp ' + str(r['flagged']):>14}")
                    else:
                        cells.append(
                            f"{r['auc']:>6.2f}/{_f(r['precision'])}/{_f(r['recall'])}".rjust(14)
                        )
                secs = time.perf_counter() - t0
                print(f"{name + f' s{seed}':<34}{'as is' if stance else 'no stnc':<8}"
                      + "".join(cells)
                      + f"{res['p@k']:>7.2f}{res['cauchy@k']:>7.2f}{res['fisher@k']:>7.2f}"
                      + f"{res['minp@k']:>7.2f}"
                      + f"{res['n']:>5}{res['revealed']:>7}{secs:>6.0f}",
                      flush=True)  # fmt: skip


def _f(x: float) -> str:
    return " nan" if not np.isfinite(x) else f"{x:.2f}"[1:] if x < 1 else "1.0"


if __name__ == "__main__":
    main()

"""Figures of the C3 campaign that a reader can set beside field studies
(a report of what the model gives, not a fit and not a test).

- Follow trains on Twitter (Torres-Lugo et al., ICWSM 2022) measured the
  daily follower growth of the accounts a train promotes: here, the daily
  follower growth of adopters after they adopt relative to before.
- The share of all follows the campaign produced, at its peak day and overall
  (campaign follows and their follow-backs, from the run's follow log).
- Bluesky starter packs (Balduf et al., ICWSM 2025) compared members' follower
  gain with similar non-members: here, adopters' follower gain against
  organisers who did not adopt, matched by their followers at the start
  (deciles).

    python benchmarks/calibration_campaign.py                  # 100,000 accounts
    python benchmarks/calibration_campaign.py --accounts 10000 --seeds 3
"""

from __future__ import annotations

import argparse

import numpy as np

from mutuals.api import run
from mutuals.claims.design import SCENARIOS, load_claim_file
from mutuals.platform.state import FOLLOW_CAUSES
from mutuals.sweeps.grid import replicate_seeds


def figures(r) -> dict[str, float]:  # type: ignore[no-untyped-def]
    sim = r.model
    st = sim.state
    tpd = sim.params.ticks_per_day
    log = np.concatenate(st.follow_log) if st.follow_log else np.zeros((0, 5), np.int64)
    made = log[log[:, 3] > 0]
    day = made[:, 0] // tpd
    days = int(sim.tick // tpd)
    camp = np.isin(
        made[:, 4], [FOLLOW_CAUSES.index("campaign"), FOLLOW_CAUSES.index("campaign_follow_back")]
    )
    per_day = np.bincount(day, minlength=days)
    per_day_c = np.bincount(day[camp], minlength=days)
    share_day = np.where(per_day > 0, per_day_c / np.maximum(per_day, 1), 0.0)
    adopted = st.adopted_at
    org = (st.accounts.community == st.accounts.community_names.index("organisers")) & (
        st.arrival == 0
    )
    ad = np.flatnonzero((adopted >= 0) & org)
    # followers gained per day by each adopter, before and after it adopted
    gained = made[:, 2]
    before = after = np.nan
    if ad.size:
        t_ad = adopted[ad]
        pos = {a: i for i, a in enumerate(ad.tolist())}
        b = np.zeros(ad.size)
        a_ = np.zeros(ad.size)
        for tick, friend in zip(made[:, 0].tolist(), gained.tolist(), strict=True):
            i = pos.get(friend)
            if i is None:
                continue
            if tick < t_ad[i]:
                b[i] += 1
            else:
                a_[i] += 1
        span_b = np.maximum(t_ad, 1) / tpd
        span_a = np.maximum(sim.tick - t_ad, 1) / tpd
        before = float((b / span_b).mean())
        after = float((a_ / span_a).mean())
    fs, fe = st.followers_at_start.astype(float), st.graph.followers_count.astype(float)
    non = org & (adopted < 0)
    edges = np.quantile(fs[org], np.linspace(0, 1, 11)[1:-1]) if org.any() else np.zeros(0)
    dec = np.searchsorted(edges, fs, side="right")
    diffs, weights = [], []
    for d in range(10):
        a_d, n_d = (adopted >= 0) & org & (dec == d), non & (dec == d)
        if a_d.any() and n_d.any():
            diffs.append((fe[a_d] - fs[a_d]).mean() - (fe[n_d] - fs[n_d]).mean())
            weights.append(a_d.sum())
    matched = float(np.average(diffs, weights=weights)) if diffs else np.nan
    return {
        "adopters": float(ad.size),
        "growth_before_per_day": before,
        "growth_after_per_day": after,
        "growth_ratio": after / before if before > 0 else (np.inf if after > 0 else np.nan),
        "campaign_share_overall": float(camp.mean()) if made.size else 0.0,
        "campaign_share_peak_day": float(share_day.max()) if days else 0.0,
        "adopter_gain_vs_matched_non_adopters": matched,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--arm", default="campaign", help="an arm of the C3 claim file")
    args = ap.parse_args()
    c = load_claim_file(next(SCENARIOS.glob("C3-*.toml")))
    sc = c.scenario(args.arm, {"accounts": args.accounts})
    rows = [figures(run(sc, seed=s)) for s in replicate_seeds(args.seed, args.seeds)]
    print(
        f"C3 arm {args.arm!r}, {args.accounts:,} accounts, {args.seeds} replicates (mean [min, max])"
    )
    for k in rows[0]:
        v = np.array([r[k] for r in rows], float)
        if np.isnan(v).all():
            print(f"  {k:<40} {'n/a':>10}")
            continue
        v = v[~np.isnan(v)]
        print(f"  {k:<40} {v.mean():>10.4g}  [{v.min():.4g}, {v.max():.4g}]")


if __name__ == "__main__":
    main()

"""One simulated day with every mechanism of the claims on, against the plain
engine's day on the same population (a benchmark, not a test).

"All on": the follow campaign (seeded at the first tick, organisers adopting,
inclusive, vetting), incognito infiltrators arriving the tick after the
hashtag is first used, a hijack of the hashtag every six hours with reports and
hashtag moderation, and boosts on request. "Plain": the same parameters with
no campaign topic and no events. Each in a fresh subprocess (its own peak
memory); kernels are compiled on a small run first, outside the timings.

    python benchmarks/bench_campaign.py                      # 1,000,000 accounts
    python benchmarks/bench_campaign.py --accounts 100000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import mutuals
from mutuals.engine.platform import Simulation
from mutuals.metrics.recorder import PlatformRecorder
from mutuals.scenarios.load import scenario_from_mapping

n, mode = int(sys.argv[1]), sys.argv[2]
base = {
    "accounts": n, "days": 1, "ticks_per_day": 24, "measure_every": 24, "n_topics": 20,
    "communities": {"organisers": 0.10, "mainstream": 0.75, "hostile": 0.10, "news": 0.03,
                    "thinker": 0.02, "infiltrators": 0.0},
    "positions": [-0.6, 0.0, 0.7, 0.0, -0.2, 0.7],
    "roles": ["member", "mainstream", "hostile", "news", "thinker", "hostile"],
    "follower_pull": [1.0, 1.0, 1.0, 20.0, 20.0, 1.0],
    "mean_follows": 100, "marginalised_share": 0.3,
}
groups = {
    "organisers": {"community": "organisers"},
    "seeders": {"community": "organisers", "share": 0.01},
    "hijackers": {"community": "hostile", "share": 0.05},
    "boosters": {"community": "organisers", "most_followed": 20},
}
events = []
if mode == "all":
    base.update(campaign_topic=19, campaign_follow_back=0.5, campaign_inclusive="on",
                moderation="hashtag", report_prob=0.05, boost_ask_prob=0.3)
    events = [
        {"tick": 0, "set_param": {"group": "organisers", "adopt_prob": 0.05, "vet_prob": 0.5}},
        {"tick": 0, "set_param": {"group": "boosters", "boost_limit": 20}},
        {"tick": 0, "seed_hashtag": {"group": "seeders", "topic": 19}},
        {"when": {"used": 19}, "add_accounts": {"share": 0.005, "community": "infiltrators",
         "role": "hostile", "hashtag": 19, "disguise": "incognito", "imitate": "organisers",
         "reveal_followers": 30}},
    ] + [{"tick": t, "seed_hashtag": {"group": "hijackers", "topic": 19, "posts": 3,
          "harmful": True}} for t in (6, 12, 18)]
doc = {"platform": base, "groups": groups, "events": events}
warm = scenario_from_mapping({**doc, "platform": {**base, "accounts": 2000, "mean_follows": 20}})
mutuals.run(warm, seed=0)  # compile outside the timings
sc = scenario_from_mapping(doc)
t0 = time.perf_counter()
sim = Simulation(sc.params, seed=1, recorder=PlatformRecorder(), events=sc.events, groups=sc.groups)
gen = time.perf_counter() - t0
t0 = time.perf_counter()
sim.run()
day = time.perf_counter() - t0
c = sim.counters
print(json.dumps({
    "mode": mode, "accounts": sim.accounts.n, "graph_seconds": gen, "day_seconds": day,
    "sessions": c["sessions"], "adoptions": c["adoptions"], "campaign_follows": c["campaign_follows"],
    "boosts": c["boosts"], "reports": c["reports"], "hidden_posts": c["hidden_posts"],
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1, help="alternate plain/all this many times")
    args = ap.parse_args()
    rows = []
    for _ in range(args.repeat):
        for mode in ("plain", "all"):
            r = _child(str(args.accounts), mode)
            rows.append(r)
            print(json.dumps(r), flush=True)
    plain = min(r["day_seconds"] for r in rows if r["mode"] == "plain")
    full = min(r["day_seconds"] for r in rows if r["mode"] == "all")
    print(
        f"\n{args.accounts:,} accounts, one day (best of {args.repeat}): plain {plain:.1f} s,"
        f" all mechanisms {full:.1f} s, ratio {full / plain:.2f} (target <= 1.5)"
    )


if __name__ == "__main__":
    main()

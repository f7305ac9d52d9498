"""The follow campaign's invariants over whole runs (mutuals.behaviour.campaign applied by
mutuals.engine.platform): budgets, what adopters may request, the follower cap, when
accounts adopt, and that the campaign changes nothing while it is off."""

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mutuals
from helpers.platform_engine import Simulation
from helpers.threads import digests_by_thread_count
from mutuals.behaviour.campaign import Campaign
from mutuals.platform.posts import POST, QUOTE
from mutuals.scenarios.load import scenario_from_mapping

TOPIC = 9


def campaign_scenario(
    seed_share: float = 0.2, adopt_prob: float = 0.5, groups=None, events=(), **platform
):
    """Organisers adopt readily (others rarely); a share of them seeds the hashtag at tick 1
    (plus any other ``groups`` and ``events``)."""
    plat = {
        "accounts": 500, "mean_follows": 25, "days": 2, "ticks_per_day": 8, "n_topics": 10,
        "campaign_topic": TOPIC, "marginalised_share": 0.3, "follower_cap": 30, "adopt_prob": 0.05,
        **platform,
    }  # fmt: skip
    return scenario_from_mapping(
        {
            "platform": plat,
            "groups": {
                "organisers": {"community": "organisers"},
                "seeders": {"community": "organisers", "share": seed_share},
                **(groups or {}),
            },
            "events": [
                {"tick": 0, "set_param": {"group": "organisers", "adopt_prob": adopt_prob}},
                {"tick": 1, "seed_hashtag": {"group": "seeders", "topic": TOPIC, "posts": 1}},
                *events,
            ],
        }
    )


class RecordingCampaign(Campaign):
    """The policy, recording each tick's decision with what it was decided on."""

    def __init__(self) -> None:
        self.ticks: list[dict] = []

    def decide(self, state, params, sessions, read, rng):
        rec = {
            "tick": state.tick,
            "followers": state.graph.followers_count.astype(np.int64),
            "adopted": state.adopted_at >= 0,
            "ring": set(state.tag_ring[state.tag_ring >= 0].tolist()),
            "sessions": sessions.copy(),
            "read": read.copy(),
        }
        d = super().decide(state, params, sessions, read, rng)
        rec["decision"] = d
        rec["following"] = state.graph.has_follows(d.follow_src, d.follow_dst)
        self.ticks.append(rec)
        return d


def run_recorded(sc, seed):
    sim = Simulation(sc.params, seed=seed, events=sc.events, groups=sc.groups)
    spy = sim.campaign = RecordingCampaign()
    while sim.tick < sc.params.ticks:
        sim.step()
    return sim, spy.ticks


def seen_under_hashtag(state, rec) -> set[tuple[int, int]]:
    """(reader, author) of every campaign post or quote a session read or browsed."""
    c = state.posts.cols
    seen = set()
    for i, a in enumerate(rec["sessions"].tolist()):
        for item in rec["read"][i].tolist():
            if item >= 0:
                root = int(c["root"][item])
                if c["topic"][root] == TOPIC and c["kind"][root] in (POST, QUOTE):
                    seen.add((a, int(c["author"][root])))
    d = rec["decision"]
    for a, q in zip(d.browsers.tolist(), d.browsed.tolist(), strict=True):
        seen.add((a, int(c["author"][q])))
    return seen


def check_decisions(sim, ticks) -> None:
    """Every recorded decision keeps the campaign's rules."""
    st_, p = sim.state, sim.params
    attention = st_.accounts.attention
    for rec in ticks:
        d, followers = rec["decision"], rec["followers"]
        src, dst = d.follow_src, d.follow_dst
        # the hashtag's page: ``attention`` items per browser, all from the page
        assert d.browsed.size == d.browsers.size
        assert set(d.browsed.tolist()) <= rec["ring"]
        b, n = np.unique(d.browsers, return_counts=True)
        sessions_of = np.bincount(rec["sessions"], minlength=st_.accounts.n)[b]
        k = attention[b].astype(np.int64)
        assert (n % k == 0).all() and (n // k <= sessions_of).all()
        # adopters are new, unique, sorted
        assert np.array_equal(d.adopters, np.unique(d.adopters))
        assert not rec["adopted"][d.adopters].any()
        # requests: by adopters, to accounts seen under the hashtag this tick
        adopter = rec["adopted"].copy()
        adopter[d.adopters] = True
        assert adopter[src].all()
        pairs = list(zip(src.tolist(), dst.tolist(), strict=True))
        assert set(pairs) <= seen_under_hashtag(st_, rec), rec["tick"]
        assert len(set(pairs)) == len(pairs)  # each pair once
        # never oneself, never an account one follows already
        assert not (src == dst).any()
        assert not rec["following"].any()
        # never an account at or past the cap, and in order each request finds its
        # target still below the cap
        assert (followers[dst] < p.follower_cap).all()
        rank = np.zeros(dst.size, np.int64)
        count: dict[int, int] = {}
        for k, x in enumerate(dst.tolist()):
            rank[k] = count.get(x, 0)
            count[x] = rank[k] + 1
        assert (followers[dst] + rank < p.follower_cap).all()
        # inclusive: requests to marginalised accounts come first
        if p.campaign_inclusive == "on" and dst.size:
            marg = st_.accounts.marginalised[dst]
            assert not (np.diff(marg.astype(np.int8)) > 0).any()


def check_budgets(sim) -> None:
    """No account makes more follows in a day than its budget (the follow log)."""
    if not sim.state.follow_log:
        return
    log = np.concatenate(sim.state.follow_log)
    made = log[log[:, 3] == 1]
    day = made[:, 0] // sim.params.ticks_per_day
    key = day * sim.accounts.n + made[:, 1]
    keys, counts = np.unique(key, return_counts=True)
    who = keys % sim.accounts.n
    assert (counts <= sim.accounts.follow_budget[who]).all()


def check_adoptions(sim) -> None:
    """``adopted_at`` is the tick of each account's first post or quote under the hashtag."""
    st_ = sim.state
    n = st_.posts.n
    c = {k: st_.posts.cols[k][:n] for k in ("author", "topic", "kind", "time")}
    tagged = (c["topic"] == TOPIC) & ((c["kind"] == POST) | (c["kind"] == QUOTE))
    first = np.full(st_.accounts.n, -1, np.int64)
    author, time = c["author"][tagged].astype(np.int64), c["time"][tagged].astype(np.int64)
    order = np.lexsort((time, author))
    author, time = author[order], time[order]
    head = np.r_[True, author[1:] != author[:-1]][: author.size]  # nobody posted under it: none
    first[author[head]] = time[head]
    assert np.array_equal(st_.adopted_at, first)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    cap=st.integers(1, 60),
    budget=st.sampled_from([0, 1, 3, 400]),
    inclusive=st.sampled_from(["off", "on"]),
    vet_prob=st.sampled_from([0.0, 0.7]),
    trend_browse=st.sampled_from([0.0, 0.4]),
    follow_prob=st.floats(0.05, 1.0),
    tolerance=st.floats(0.05, 2.0),
    ticks_per_day=st.sampled_from([4, 8]),
)
def test_campaign_rules_hold_over_any_run(
    seed, cap, budget, inclusive, vet_prob, trend_browse, follow_prob, tolerance, ticks_per_day
):
    sc = campaign_scenario(
        accounts=300, mean_follows=15, follower_cap=cap, follow_budget=budget,
        campaign_inclusive=inclusive, vet_prob=vet_prob, campaign_trend_browse=trend_browse,
        campaign_follow_prob=follow_prob, campaign_follow_tolerance=tolerance,
        ticks_per_day=ticks_per_day, follow_back=0.3,
    )  # fmt: skip
    sim, ticks = run_recorded(sc, seed)
    check_decisions(sim, ticks)
    check_budgets(sim)
    check_adoptions(sim)
    sim.graph.check()


def test_campaign_rules_hold_where_they_bind():
    """One run where every rule has work to do: budgets and the cap bind, adopters
    request follows, marginalised accounts come first."""
    sc = campaign_scenario(
        accounts=1000, mean_activity=2.0, follow_budget=2, campaign_inclusive="on", vet_prob=0.5
    )
    sim, ticks = run_recorded(sc, seed=4)
    c = sim.counters
    assert c["adoptions"] > 20 and c["campaign_follow_requests"] > 50
    assert c["follows_over_budget"] > 0
    assert sum(rec["decision"].browsed.size for rec in ticks) > 0
    assert any(sim.accounts.marginalised[rec["decision"].follow_dst].any() for rec in ticks)
    at_cap = 0
    for rec in ticks:  # requests that take a target right up to the cap
        dst = rec["decision"].follow_dst
        n_req = np.bincount(dst, minlength=sim.accounts.n)[dst]
        at_cap += int((rec["followers"][dst] + n_req == sc.params.follower_cap).sum())
    assert at_cap > 0
    check_decisions(sim, ticks)
    check_budgets(sim)
    check_adoptions(sim)


def test_campaign_requests_never_take_a_target_past_the_cap():
    """Each request, applied in order, finds its target below ``follower_cap``
    ("follow everyone here under 1k": one at 999 may be followed, reaching 1,000)."""
    sc = campaign_scenario(accounts=1000, mean_activity=2.0)
    sim, ticks = run_recorded(sc, seed=4)
    assert sum(rec["decision"].follow_dst.size for rec in ticks) > 50
    for rec in ticks:
        dst = rec["decision"].follow_dst
        n_req = np.bincount(dst, minlength=sim.accounts.n)[dst]
        assert (rec["followers"][dst] + n_req <= sc.params.follower_cap).all(), rec["tick"]


def test_campaign_vets_the_stances_posts_show():
    """What vetting averages (each candidate's recent posts) carries its authors' stance
    (no account changes its stance in this run)."""

    class Stances(Campaign):
        wrong = 0

        def decide(self, state, params, sessions, read, rng):
            c = state.posts.cols
            recent = state.recent[state.recent >= 0]
            shown = state.stance[c["author"][recent]]
            self.wrong += int((c["stance"][recent] != shown).sum())
            return super().decide(state, params, sessions, read, rng)

    sc = campaign_scenario(vet_prob=1.0)
    sim = Simulation(sc.params, seed=4, events=sc.events, groups=sc.groups)
    spy = sim.campaign = Stances()
    while sim.tick < sc.params.ticks:
        sim.step()
    assert (sim.state.stance == sim.accounts.position).all()  # nobody changed stance
    assert spy.wrong == 0


def test_campaign_adoptions_under_moderation():
    """``adopted_at`` is the first post under the hashtag, hidden or not."""
    hijack = {"group": "hijackers", "topic": TOPIC, "posts": 2, "harmful": True}
    sc = campaign_scenario(
        accounts=1000, moderation="hashtag", report_prob=0.5, report_threshold=5,
        suppress_ticks=8, groups={"hijackers": {"community": "hostile", "share": 0.2}},
        events=[{"tick": 3, "seed_hashtag": hijack}, {"tick": 6, "seed_hashtag": hijack}],
    )  # fmt: skip
    sim, ticks = run_recorded(sc, seed=3)
    assert sim.counters["suppressions"] > 0 and sim.counters["hidden_posts"] > 0
    check_decisions(sim, ticks)
    check_budgets(sim)
    check_adoptions(sim)


# -- the campaign off, and determinism ------------------------------------------------------


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def assert_same_tables(a: dict, b: dict) -> None:
    """The same tables: ``Table.equals``, or (NaN is never equal to itself, and
    tau_b is NaN while a feed is too short) the same Arrow IPC bytes."""
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].equals(b[name]) or _ipc(a[name]) == _ipc(b[name]), name


OFF = {"accounts": 400, "mean_follows": 20, "days": 1, "ticks_per_day": 8, "n_topics": 10}


def test_campaign_off_draws_nothing():
    """While ``campaign_topic = -1``, no campaign parameter changes the run."""
    base = mutuals.run(scenario_from_mapping({"platform": OFF}), seed=11)
    changed = {
        "adopt_prob": 0.9, "adopt_position_scale": 2.0, "campaign_browse_prob": 1.0,
        "campaign_trend_browse": 1.0, "campaign_window": 7, "campaign_post_share": 0.9,
        "campaign_follow_prob": 1.0, "follower_cap": 3, "campaign_follow_tolerance": 2.0,
        "campaign_follow_back": 1.0, "campaign_inclusive": "on", "inclusive_weight": 5.0,
        "vet_prob": 1.0, "vet_tolerance": 0.01,
    }  # fmt: skip
    other = mutuals.run(scenario_from_mapping({"platform": {**OFF, **changed}}), seed=11)
    assert base.tables["posts"].equals(other.tables["posts"])
    assert_same_tables(base.tables, other.tables)
    assert other.summary["adoptions"] == other.summary["campaign_follow_requests"] == 0
    # and it is the campaign that is off: on, the same parameters change the run
    on = mutuals.run(
        scenario_from_mapping({"platform": {**OFF, **changed, "campaign_topic": TOPIC}}),
        seed=11,
    )
    assert not base.tables["posts"].equals(on.tables["posts"])


def test_campaign_run_is_determined_by_its_seed():
    sc = campaign_scenario(campaign_inclusive="on", vet_prob=0.3, campaign_trend_browse=0.2)
    a, b = mutuals.run(sc, seed=8), mutuals.run(sc, seed=8)
    assert a.summary["adoptions"] > 0 and a.summary["campaign_follows"] > 0
    assert_same_tables(a.tables, b.tables)
    assert a.tables["posts"].equals(b.tables["posts"])
    c = mutuals.run(sc, seed=9)
    assert not a.tables["posts"].equals(c.tables["posts"])


def test_campaign_run_is_the_same_whatever_the_thread_count():
    setup = (
        "import mutuals\n"
        "from mutuals.scenarios.load import scenario_from_mapping\n"
        "sc = scenario_from_mapping({\n"
        "    'platform': {'accounts': 800, 'mean_follows': 25, 'days': 1, 'ticks_per_day': 8,\n"
        "                 'n_topics': 10, 'campaign_topic': 9, 'marginalised_share': 0.3,\n"
        "                 'campaign_inclusive': 'on', 'follower_cap': 30, 'vet_prob': 0.3,\n"
        "                 'campaign_trend_browse': 0.2, 'ranking': 'ranked'},\n"
        "    'groups': {'organisers': {'community': 'organisers'}},\n"
        "    'events': [{'tick': 0, 'set_param': {'group': 'organisers', 'adopt_prob': 0.5}},\n"
        "               {'tick': 1, 'seed_hashtag': {'group': 'organisers', 'topic': 9,\n"
        "                                            'posts': 1}}],\n"
        "})\n"
        "run = mutuals.run(sc, seed=21)\n"
        "assert run.summary['campaign_follows'] > 0\n"
        "tables = run.tables\n"
    )
    assert len(digests_by_thread_count(setup)) == 1

"""Invariants of the claims' mechanisms over whole runs (mutuals.behaviour.disguise,
.moderation and .boosting, and add_accounts arrivals, applied by mutuals.engine.platform):
suppressed rows reach no feed, and are exactly the rows made while suppressed; arrivals
keep their tick; disguised posts show what they should; boosts keep their limits and are
the reposts they say; with the mechanisms off the run draws nothing for them."""

from unittest import mock

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mutuals
from helpers.platform_engine import Simulation
from mutuals.behaviour.activity import Activity
from mutuals.behaviour.boosting import Boosting
from mutuals.behaviour.disguise import Disguise
from mutuals.behaviour.moderation import Moderation
from mutuals.behaviour.sessions import Sessions
from mutuals.kernels import platform as kp
from mutuals.platform.posts import POST, QUOTE, REPOST
from mutuals.platform.state import NEVER
from mutuals.scenarios.load import scenario_from_mapping

TOPIC = 9
#: five communities, the last one empty at the start (the infiltrators' own)
PLATFORM = {
    "accounts": 500, "mean_follows": 20, "days": 2, "ticks_per_day": 8, "n_topics": 10,
    "mean_activity": 2.0, "campaign_topic": TOPIC,
    "communities": {"organisers": 0.2, "mainstream": 0.55, "hostile": 0.2, "news": 0.05,
                    "infiltrators": 0.0},
    "positions": [-0.6, 0.0, 0.7, 0.0, 0.7],
    "roles": ["member", "mainstream", "hostile", "news", "hostile"],
}  # fmt: skip
GROUPS = {
    "organisers": {"community": "organisers"},
    "seeders": {"community": "organisers", "share": 0.2},
    "hijackers": {"community": "hostile", "share": 0.3},
}
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def scenario(events=(), groups=None, **platform):
    return scenario_from_mapping(
        {
            "platform": {**PLATFORM, **platform},
            "groups": {**GROUPS, **(groups or {})},
            "events": [
                {"tick": 0, "set_param": {"group": "organisers", "adopt_prob": 0.5}},
                *events,
            ],
        }
    )


def run_steps(sim, after_step=None):
    while sim.tick < sim.params.ticks:
        sim.step()
        if after_step is not None:
            after_step(sim)
    return sim


def columns(sim) -> dict[str, np.ndarray]:
    n = sim.state.posts.n
    return {k: v[:n] for k, v in sim.state.posts.cols.items()}


# -- moderation: suppressed rows reach no feed ------------------------------------------------


class SuppressLog(Moderation):
    """The policy, logging every suppression: ``(tick, topics, accounts, suppress_ticks)``."""

    def __init__(self) -> None:
        self.log: list[tuple[int, np.ndarray, np.ndarray, int]] = []

    def suppress(self, state, params):
        topics, accounts = super().suppress(state, params)
        self.log.append((state.tick, topics.copy(), accounts.copy(), params.suppress_ticks))
        return topics, accounts


def run_moderated(sc, seed):
    """Run ``sc`` checking, at every tick, that no feed ring and not the hashtag's page holds
    a hidden row and that the tick's deliveries are exactly its visible rows."""
    sim = Simulation(sc.params, seed=seed, events=sc.events, groups=sc.groups)
    mod = sim.moderation = SuppressLog()
    real = kp.deliver_ring
    delivered: list[int] = []

    def deliver(first, last, *args):
        assert not sim.state.posts.cols["hidden"][first:last].any(), (sim.tick, first, last)
        delivered.extend(range(first, last))
        return real(first, last, *args)

    def check(sim):
        st_ = sim.state
        c = st_.posts.cols
        items = st_.ring_item[st_.ring_item >= 0]
        assert not c["hidden"][items].any(), sim.tick - 1
        page = st_.tag_ring[st_.tag_ring >= 0]
        assert not c["hidden"][page].any(), sim.tick - 1
        tick = sim.tick - 1
        new = np.flatnonzero(c["time"][: st_.posts.n] == tick)
        assert sorted(delivered) == new[c["hidden"][new] == 0].tolist(), tick
        delivered.clear()

    with mock.patch.object(kp, "deliver_ring", deliver):
        run_steps(sim, check)
    return sim, mod.log


def expected_hidden(c: dict[str, np.ndarray], log) -> np.ndarray:
    """Rows made while their topic (or author) was suppressed: a suppression decided at
    tick ``s`` covers the rows of ticks ``s .. s + suppress_ticks - 1``."""
    want = np.zeros(c["time"].size, bool)
    for s, topics, accounts, ticks in log:
        during = (c["time"] >= s) & (c["time"] < s + ticks)
        want |= during & (np.isin(c["topic"], topics) | np.isin(c["author"], accounts))
    return want


def check_hidden(sim, log) -> None:
    c = columns(sim)
    hidden = c["hidden"] == 1
    assert np.array_equal(hidden, expected_hidden(c, log))
    assert sim.counters["hidden_posts"] == int(hidden.sum())
    assert sim.counters["suppressions"] == sum(t.size + a.size for _, t, a, _ in log)
    # a suppression starts only once the last one is over
    for key in (1, 2):
        starts: dict[int, int] = {}
        for s, *ids, ticks in log:
            for x in ids[key - 1].tolist():
                assert s >= starts.get(x, -(10**9)), (s, x)
                starts[x] = s + ticks
    # a hidden cascade root reached only the feeds its visible reposts reached
    visible_reposts = np.bincount(
        c["root"][(c["kind"] == REPOST) & ~hidden], minlength=hidden.size
    )[: hidden.size]
    lone = hidden & np.isin(c["kind"], [POST, QUOTE]) & (visible_reposts == 0)
    assert (c["deliveries"][lone] == 0).all()


def hijack_events(ticks=(2, 5, 8, 11), posts=2):
    hijack = {"group": "hijackers", "topic": TOPIC, "posts": posts, "harmful": True}
    return [
        {"tick": 1, "seed_hashtag": {"group": "seeders", "topic": TOPIC}},
        *({"tick": t, "seed_hashtag": hijack} for t in ticks),
    ]


@FAST
@given(
    seed=st.integers(0, 2**32 - 1),
    mode=st.sampled_from(["hashtag", "account"]),
    report_prob=st.sampled_from([0.05, 0.3, 1.0]),
    threshold=st.integers(1, 15),
    suppress_ticks=st.integers(1, 10),
    ranking=st.sampled_from(["chronological", "ranked"]),
)
def test_suppressed_rows_reach_no_feed(seed, mode, report_prob, threshold, suppress_ticks, ranking):
    sc = scenario(
        hijack_events(), moderation=mode, report_prob=report_prob,
        report_threshold=threshold, suppress_ticks=suppress_ticks, ranking=ranking,
    )  # fmt: skip
    sim, log = run_moderated(sc, seed)
    check_hidden(sim, log)


def test_suppression_hides_legitimate_posts_and_ends():
    """Where it binds: the hashtag is suppressed more than once (reports of the harmful posts
    still in feeds renew it), members' own posts under it are hidden with the hijackers',
    and once the last suppression is over its posts are seen again."""
    sc = scenario(
        hijack_events(ticks=(2, 8), posts=3), moderation="hashtag", report_prob=0.05,
        report_threshold=15, suppress_ticks=3,
    )  # fmt: skip
    sim, log = run_moderated(sc, seed=3)
    check_hidden(sim, log)
    c = columns(sim)
    starts = [s for s, topics, _, _ in log if TOPIC in topics.tolist()]
    assert len(starts) >= 2, starts
    over = starts[-1] + 3
    assert over < sc.params.ticks
    tagged = c["topic"] == TOPIC
    hidden = c["hidden"] == 1
    assert (hidden & tagged & (c["harmful"] == 0)).sum() > 0  # legitimate ones included
    assert (hidden & tagged & (c["harmful"] == 1)).sum() > 0  # the second flood's
    assert (~hidden & tagged & (c["time"] >= over)).sum() > 0  # visible again
    assert (hidden[tagged & (c["time"] >= over)] == 0).all()
    assert (c["hidden"][~tagged] == 0).all()  # other hashtags untouched


def test_account_suppression_hides_the_authors_rows_only():
    sc = scenario(
        hijack_events(), moderation="account", report_prob=0.5, report_threshold=2,
        suppress_ticks=4,
    )  # fmt: skip
    sim, log = run_moderated(sc, seed=8)
    check_hidden(sim, log)
    c = columns(sim)
    suppressed = np.unique(np.concatenate([a for _, _, a, _ in log]))
    assert suppressed.size > 0 and (c["hidden"] == 1).any()
    assert np.isin(c["author"][c["hidden"] == 1], suppressed).all()


class ReadLog(Sessions):
    """The sessions phase, logging what every session read."""

    def __init__(self) -> None:
        self.read: list[np.ndarray] = []

    def run(self, state, params, sessions, rng):
        out = super().run(state, params, sessions, rng)
        self.read.append(out.read[out.read >= 0].copy())
        return out


def test_list_readers_never_read_suppressed_posts():
    """Hidden rows are delivered to no feed; a list feed (members' recent posts) is a
    feed too, so no session reads a hidden row."""
    groups = {
        "hijackers": {"community": "hostile", "most_followed": 30},
        "readers": {"community": "organisers"},
    }
    events = [
        {"tick": 0, "add_list": {"members": "hijackers", "subscribers": "readers"}},
        {"tick": 0, "set_param": {"group": "readers", "list_read_prob": 0.8}},
        *hijack_events(ticks=(2, 4, 6, 8, 10), posts=2),
    ]
    sc = scenario(
        events, groups, moderation="hashtag", report_prob=0.5, report_threshold=3,
        suppress_ticks=6,
    )  # fmt: skip
    sim = Simulation(sc.params, seed=4, events=sc.events, groups=sc.groups)
    spy = sim.sessions = ReadLog()
    run_steps(sim)
    c = columns(sim)
    assert sim.counters["suppressions"] > 0 and (c["hidden"] == 1).any()
    read = np.concatenate(spy.read)
    assert (c["hidden"][read] == 0).all(), int((c["hidden"][read] == 1).sum())


# -- arrivals --------------------------------------------------------------------------------


class SessionLog(Activity):
    def __init__(self) -> None:
        self.log: list[tuple[int, np.ndarray]] = []

    def sessions(self, state, params, rng):
        s = super().sessions(state, params, rng)
        self.log.append((state.tick, s.copy()))
        return s


def first_hold(c: dict[str, np.ndarray], when: dict, ticks: int) -> int | None:
    """The first tick at whose start ``when`` holds, from the posts table alone."""
    if "used" in when:  # a post, reply or quote on the topic in the tick before
        used = c["time"][(c["topic"] == when["used"]) & (c["kind"] != REPOST)]
        return int(used.min()) + 1 if used.size else None
    made_before = np.cumsum(np.bincount(c["time"], minlength=ticks + 1))  # rows with time <= t
    for t in range(ticks):
        if (made_before[t - 1] if t else 0) >= when["at_least"]:
            return t
    return None


@FAST
@given(
    seed=st.integers(0, 2**32 - 1),
    timing=st.sampled_from(["used", "tick", "count"]),
    at=st.integers(0, 8),
    delay=st.integers(0, 6),
    n=st.integers(1, 12),
    disguise=st.sampled_from(["none", "open", "incognito"]),
    follow=st.sampled_from([None, 3]),
    hashtag=st.booleans(),
    at_least=st.sampled_from([0, 50, 400, 3000]),
)
def test_arrivals_are_honoured(seed, timing, at, delay, n, disguise, follow, hashtag, at_least):
    args = {"n": n, "community": "infiltrators", "role": "hostile", "disguise": disguise}
    if disguise == "incognito":
        args.update(imitate="organisers", reveal_followers=2)
    if follow:
        args["follow"] = {"group": "organisers", "n": follow}
    if hashtag:
        args["hashtag"] = TOPIC
    when = {"tick": at} if timing == "tick" else {}
    if timing == "used":
        when = {"when": {"used": TOPIC, "delay": delay}}
    elif timing == "count":
        when = {"when": {"count": "posts", "at_least": at_least, "delay": delay}}
    sc = scenario(
        [
            {"tick": at, "seed_hashtag": {"group": "seeders", "topic": TOPIC}},
            {**when, "add_accounts": args},
            {"tick": 5, "add_accounts": {"n": 4, "community": "mainstream",
                                         "follow": {"group": "organisers", "n": 2}}},
        ],
        follow_back=0.5,
    )  # fmt: skip
    sim = Simulation(sc.params, seed=seed, events=sc.events, groups=sc.groups)
    acts = sim.activity = SessionLog()
    run_steps(sim)
    ticks, st_ = sc.params.ticks, sim.state
    c = columns(sim)
    base = sim.accounts.n - n - 4
    # events 2 and 3 (after the set_param and the seeding): blocks of ids in file order
    blocks = {2: np.arange(base, base + n), 3: np.arange(base + n, base + n + 4)}
    if timing == "tick":
        expect: int | None = at
    else:
        hold = first_hold(c, sc.events[2].when, ticks)
        expect = None if hold is None else hold + delay
    if expect is not None and expect >= ticks:
        expect = None
    result = sim.result()
    fired = {e["event"]: e for e in result.tables["events"].to_pylist()}
    want = {2: expect, 3: 5}
    arrival_col = result.accounts.column("arrival").to_numpy()
    for k, ids in blocks.items():
        t = want[k]
        if t is None:
            assert k not in fired
            assert (st_.arrival[ids] == NEVER).all() and (arrival_col[ids] == -1).all()
        else:
            assert fired[k]["tick"] == t and fired[k]["action"] == "add_accounts"
            assert fired[k]["accounts"] == ids.size
            assert (st_.arrival[ids] == t).all() and (arrival_col[ids] == t).all()
    assert (st_.arrival[:base] == 0).all()
    assert (st_.followers_at_start[base:] == 0).all()
    # nothing of theirs before they arrive: sessions, rows, follows either way
    arrival = st_.arrival
    for tick, sessions in acts.log:
        assert (arrival[sessions] <= tick).all(), tick
    assert (c["time"] >= arrival[c["author"]]).all()
    if st_.follow_log:
        log = np.concatenate(st_.follow_log)
        assert (log[:, 0] >= arrival[log[:, 1]]).all()
        assert (log[:, 0] >= arrival[log[:, 2]]).all()
    # they arrive with their hashtag posts and follows
    if expect is not None:
        mine = np.isin(c["author"], blocks[2]) & (c["time"] == expect)
        if hashtag:
            tagged = mine & (c["topic"] == TOPIC) & (c["kind"] == POST)
            assert np.array_equal(np.unique(c["author"][tagged]), blocks[2])
        if follow and st_.follow_log:
            made = log[(log[:, 0] == expect) & (log[:, 3] == 1) & np.isin(log[:, 1], blocks[2])]
            assert np.array_equal(np.unique(made[:, 1]), blocks[2])


# -- disguise --------------------------------------------------------------------------------


class RevealLog(Disguise):
    def __init__(self) -> None:
        self.log: list[tuple[int, np.ndarray, np.ndarray]] = []

    def reveals(self, state, params):
        turned = super().reveals(state, params)
        self.log.append((state.tick, turned.copy(), state.graph.followers_count[turned]))
        return turned


def infiltration(disguise, reveal_followers=3, n=15, days=3, **platform):
    args = {
        "n": n, "community": "infiltrators", "role": "hostile", "hashtag": TOPIC,
        "disguise": disguise, "follow": {"group": "organisers", "n": 6},
    }  # fmt: skip
    if disguise == "incognito":
        args.update(imitate="organisers", reveal_followers=reveal_followers)
    events = [
        {"tick": 1, "seed_hashtag": {"group": "seeders", "topic": TOPIC}},
        {"when": {"used": TOPIC, "delay": 1}, "add_accounts": args},
    ]
    return scenario(events, follow_back=0.3, campaign_follow_back=0.5, days=days, **platform)


def check_disguised_rows(sim, log) -> tuple[int, int]:
    """Every infiltrator's rows show what its disguise says; returns the rows made
    before and after a reveal."""
    st_, p = sim.state, sim.params
    c = columns(sim)
    f32 = np.float32
    imitated = f32(p.positions[[n for n, _ in p.communities].index("organisers")])
    harm_quality, harm_heat = f32(p.harm_quality), f32(p.harm_heat)
    before = after = 0
    for a in np.flatnonzero(st_.disguise > 0):
        rows = np.flatnonzero(c["author"] == a)
        own = f32(st_.accounts.position[a])
        if st_.disguise[a] == 2:  # incognito
            shown = st_.revealed_at[a] if st_.revealed_at[a] >= 0 else NEVER
            early, late = rows[c["time"][rows] < shown], rows[c["time"][rows] >= shown]
            assert (c["stance"][early] == imitated).all() and (c["harmful"][early] == 0).all()
            before += early.size
        else:  # open: harmful from the start
            assert st_.revealed_at[a] == -1
            late = rows
        assert (c["stance"][late] == own).all() and (c["harmful"][late] == 1).all()
        originals = late[c["kind"][late] == POST]
        assert (c["quality"][originals] <= harm_quality).all()
        assert (c["heat"][originals] >= harm_heat).all()
        after += late.size
    # reveals: each once, at the tick logged, at reveal_followers followers or more
    turned_at = {}
    for tick, turned, followers in log:
        assert (followers >= st_.reveal_followers[turned]).all()
        assert (st_.arrival[turned] <= tick).all()
        for a in turned.tolist():
            assert a not in turned_at
            turned_at[a] = tick
    revealed = np.flatnonzero(st_.revealed_at >= 0)
    assert turned_at == {int(a): int(st_.revealed_at[a]) for a in revealed}
    assert sim.counters["reveals"] == revealed.size
    assert (st_.disguise[revealed] == 2).all()
    return before, after


def run_disguised(sc, seed):
    sim = Simulation(sc.params, seed=seed, events=sc.events, groups=sc.groups)
    spy = sim.disguise = RevealLog()
    run_steps(sim)
    return sim, spy.log


@FAST
@given(
    seed=st.integers(0, 2**32 - 1),
    disguise=st.sampled_from(["open", "incognito"]),
    reveal_followers=st.integers(0, 12),
    harm_quality=st.sampled_from([0.05, 0.3]),
    harm_heat=st.sampled_from([0.6, 0.9]),
)
def test_disguised_posts_show_what_they_should(
    seed, disguise, reveal_followers, harm_quality, harm_heat
):
    sc = infiltration(
        disguise, reveal_followers, days=2, harm_quality=harm_quality, harm_heat=harm_heat
    )
    sim, log = run_disguised(sc, seed)
    check_disguised_rows(sim, log)


def test_incognito_accounts_post_harmlessly_then_turn():
    """Where it binds: some infiltrators reveal themselves during the run, with rows both
    before and after; some are still hidden at the end."""
    sim, log = run_disguised(infiltration("incognito", reveal_followers=8, n=30), seed=2)
    before, after = check_disguised_rows(sim, log)
    revealed = sim.state.revealed_at[sim.state.disguise == 2]
    assert (revealed >= 0).any() and (revealed < 0).any(), revealed
    assert before > 0 and after > 0
    assert len({t for t, turned, _ in log if turned.size}) >= 2  # on more than one tick


def test_open_infiltrators_are_harmful_from_their_first_post():
    sim, log = run_disguised(infiltration("open"), seed=6)
    before, after = check_disguised_rows(sim, log)
    assert before == 0 and after > 0 and sim.counters["reveals"] == 0


# -- boosts ----------------------------------------------------------------------------------


class BoostLog(Boosting):
    def __init__(self) -> None:
        self.log: list[dict] = []

    def decide(self, state, params, first, rng):
        followers = state.graph.followers_count
        asked, boosters, granted = super().decide(state, params, first, rng)
        self.log.append(
            {
                "tick": state.tick, "first": first, "next": state.posts.n,
                "followers": followers, "asked": asked.copy(), "boosters": boosters.copy(),
                "granted": granted.copy(), "boost_limit": state.boost_limit.copy(),
            }
        )  # fmt: skip
        return asked, boosters, granted


def check_boosts(sim, log) -> dict[str, int]:
    st_, p = sim.state, sim.params
    c = columns(sim)
    comm = st_.accounts.community
    used: dict[tuple[int, int], int] = {}
    flag = np.zeros(c["time"].size, np.int8)
    totals = {"asked": 0, "granted": 0, "at_limit": 0}
    for rec in log:
        t, asked, who, ok = rec["tick"], rec["asked"], rec["boosters"], rec["granted"] == 1
        author = c["author"][asked]
        # asked: this tick's new posts, by accounts below the cap, of a booster of their
        # community (not themselves), each post once
        assert ((asked >= rec["first"]) & (asked < rec["next"])).all()
        assert (c["kind"][asked] == POST).all() and (c["time"][asked] == t).all()
        assert (rec["followers"][author] < p.boost_small_cap).all()
        assert (comm[who] == comm[author]).all() and (who != author).all()
        assert (rec["boost_limit"][who] > 0).all() and (st_.arrival[who] <= t).all()
        assert np.unique(asked).size == asked.size
        if p.boost_ask_prob == 1.0:  # every small account's post asks (when it has a booster)
            rows = np.arange(rec["first"], rec["next"])
            rows = rows[c["kind"][rows] == POST]
            a = c["author"][rows]
            small = rec["followers"][a] < p.boost_small_cap
            has = np.array(
                [((rec["boost_limit"] > 0) & (comm == comm[x]) & (np.arange(comm.size) != x)
                  & (st_.arrival <= t)).any() for x in a.tolist()], bool,
            )  # fmt: skip
            assert np.array_equal(asked, rows[small & has] if rows.size else rows)
        # granted ones are the next rows: reposts by the booster of the asked post, now
        g = asked[ok]
        reposts = np.arange(rec["next"], rec["next"] + g.size)
        assert (c["kind"][reposts] == REPOST).all() and (c["time"][reposts] == t).all()
        assert np.array_equal(c["author"][reposts], who[ok])
        assert np.array_equal(c["parent"][reposts], g) and np.array_equal(c["root"][reposts], g)
        # within each booster's daily limit
        day = t // p.ticks_per_day
        for b in who[ok].tolist():
            used[day, b] = used.get((day, b), 0) + 1
            assert used[day, b] <= rec["boost_limit"][b], (t, b)
        totals["at_limit"] += sum(
            used.get((day, b), 0) >= rec["boost_limit"][b] for b in set(who[~ok].tolist())
        )
        flag[asked] = 1
        flag[g] = 2
        totals["asked"] += asked.size
        totals["granted"] += g.size
    assert np.array_equal(c["boost"], flag)  # 2 exactly for granted, 1 asked and refused
    assert sim.counters["boost_requests"] == totals["asked"]
    assert sim.counters["boosts"] == totals["granted"]
    return totals


def boosting(booster_limit=None, platform_limit=0.0, **platform):
    groups = {"boosters": {"community": "organisers", "most_followed": 6}}
    events = [{"tick": 1, "seed_hashtag": {"group": "seeders", "topic": TOPIC}}]
    if booster_limit is not None:
        events.append({"tick": 0, "set_param": {"group": "boosters", "boost_limit": booster_limit}})
    return scenario(events, groups, boost_limit=platform_limit, **platform)


def run_boosted(sc, seed):
    sim = Simulation(sc.params, seed=seed, events=sc.events, groups=sc.groups)
    spy = sim.boosting = BoostLog()
    run_steps(sim)
    return sim, spy.log


@FAST
@given(
    seed=st.integers(0, 2**32 - 1),
    who=st.sampled_from(["group", "everyone"]),
    limit=st.sampled_from([1, 2, 5]),
    ask=st.sampled_from([0.3, 1.0]),
    share=st.sampled_from([0.5, 1.0]),
    small_cap=st.sampled_from([5, 20, 1000]),
    ticks_per_day=st.sampled_from([4, 8]),
)
def test_boosts_keep_their_rules(seed, who, limit, ask, share, small_cap, ticks_per_day):
    kw = {"booster_limit": limit} if who == "group" else {"platform_limit": float(limit)}
    sc = boosting(
        **kw, boost_ask_prob=ask, boost_share=share, boost_small_cap=small_cap,
        ticks_per_day=ticks_per_day,
    )  # fmt: skip
    sim, log = run_boosted(sc, seed)
    check_boosts(sim, log)


def test_boost_limits_bind():
    """Where it binds: boosters reach their daily limit and refuse, and grant again the
    next day."""
    sc = boosting(booster_limit=2, boost_ask_prob=1.0, boost_share=1.0, days=3)
    sim, log = run_boosted(sc, seed=1)
    totals = check_boosts(sim, log)
    assert totals["granted"] > 0 and totals["at_limit"] > 0
    assert totals["asked"] > totals["granted"]
    days_granted = {rec["tick"] // 8 for rec in log if rec["granted"].any()}
    assert days_granted == {0, 1, 2}


# -- the mechanisms off ----------------------------------------------------------------------


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def assert_same_tables(a: dict, b: dict) -> None:
    """The same tables, byte for byte (Arrow IPC: NaN equals itself there)."""
    assert a.keys() == b.keys()
    for name in a:
        assert _ipc(a[name]) == _ipc(b[name]), name


OFF = {
    "moderation": "hashtag", "report_prob": 0.0, "report_threshold": 1, "suppress_ticks": 3,
    "boost_ask_prob": 0.0, "boost_share": 1.0, "boost_small_cap": 100_000, "boost_limit": 5.0,
}  # fmt: skip


def test_mechanisms_off_draw_nothing():
    """Harmful posts are read, everyone may boost, moderation is on: but with
    ``report_prob = 0`` and ``boost_ask_prob = 0`` (and no infiltrators) the run is
    the run without those parameters."""
    events = hijack_events()
    plain = mutuals.run(scenario(events, days=1), seed=11)
    off = mutuals.run(scenario(events, days=1, **OFF), seed=11)
    assert plain.summary["reads"] > 0 and plain.tables["posts"]["harmful"].to_numpy().any()
    assert_same_tables(plain.tables, off.tables)
    assert off.summary["reports"] == off.summary["boost_requests"] == 0
    # and it is report_prob and boost_ask_prob that keep them off
    for on in ({"report_prob": 0.3}, {"boost_ask_prob": 0.3}):
        run = mutuals.run(scenario(events, days=1, **{**OFF, **on}), seed=11)
        assert not run.tables["posts"].equals(plain.tables["posts"]), on

"""SimSoM gives the same result whatever the Numba thread count (subprocesses)."""

from helpers.threads import digests_by_thread_count


def test_same_result_whatever_the_thread_count():
    setup = (
        "from mutuals.engine.simsom import run_simsom\n"
        "from mutuals.metrics.recorder import SimSoMRecorder\n"
        "from mutuals.scenarios.simsom import SimSoMParams\n"
        "p = SimSoMParams(accounts=3000, mean_follows=20, max_steps=15, burn_in=2, window=2)\n"
        "r = run_simsom(p, seed=11, recorder=SimSoMRecorder())\n"
        "tables = {'timeline': r.timeline, 'messages': r.messages}\n"
    )
    assert len(digests_by_thread_count(setup)) == 1

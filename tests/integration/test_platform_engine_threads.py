"""The platform engine gives the same tables whatever the Numba thread count (subprocesses)."""

from helpers.threads import digests_by_thread_count


def test_same_tables_whatever_the_thread_count():
    setup = (
        "from mutuals.engine.platform import Simulation\n"
        "from mutuals.metrics.recorder import PlatformRecorder\n"
        "from mutuals.scenarios.platform import PlatformParams\n"
        "p = PlatformParams(accounts=3000, mean_follows=30, days=0.5, ranking='ranked')\n"
        "tables = Simulation(p, seed=12, recorder=PlatformRecorder()).run().tables\n"
    )
    assert len(digests_by_thread_count(setup)) == 1

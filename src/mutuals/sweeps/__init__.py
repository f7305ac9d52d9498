"""Parameter sweeps: a scenario over a grid of values times replicates, one
task per run on ``dask.distributed``, resumable, seeds spawned from one
``SeedSequence`` (:mod:`mutuals.sweeps.grid`, :mod:`mutuals.sweeps.run`).

Dask is imported only when a sweep runs on a cluster.
"""

from mutuals.sweeps.grid import replicate_seeds
from mutuals.sweeps.run import load_results, sweep
from mutuals.sweeps.summary import summarize

__all__ = ["load_results", "replicate_seeds", "summarize", "sweep"]

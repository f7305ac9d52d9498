"""SimSoM as the tests drive it: the engine's loop measured as mutuals.run does."""

from mutuals.engine.simsom import run_simsom as _run_simsom
from mutuals.metrics.recorder import SimSoMRecorder


def run_simsom(*args, **kwargs):
    """The engine's loop, measured as mutuals.run does."""
    kwargs.setdefault("recorder", SimSoMRecorder())
    return _run_simsom(*args, **kwargs)

"""Step loops, the only code that applies actions to state.

platform   the platform engine (:class:`~mutuals.engine.platform.Simulation`)
simsom     the SimSoM step loop (:func:`~mutuals.engine.simsom.run_simsom`)
reference  slow, obviously-correct twins of every kernel, for tests and benchmarks
"""

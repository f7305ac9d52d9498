"""The ``mutuals`` command line (:mod:`mutuals.cli.main`); the only place that configures global state."""

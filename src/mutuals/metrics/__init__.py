"""Measures: pure functions over the canonical tables (:mod:`mutuals.tables`).

The same code measures real data and simulator output converted to the
canonical tables.

Modules
-------
graph       follow graph: account index, reciprocity, degrees, clustering,
            Louvain communities, modularity
reach       reach of posts and cascades against author followers (C1), by community (C2)
isolation   E-I index, exposures from outside one's community (C9), leaning homophily
hashtags    hashtag use over time, adopters, the interaction network of adopters
"""

from __future__ import annotations

__all__: list[str] = []

"""Platform state as arrays: accounts, the mutable follow graph, post columns. Data, no behaviour."""

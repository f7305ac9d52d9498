"""Data in and out: the canonical schema and store, readers of real formats,
simulated runs as canonical tables, and run outputs (Parquet + manifest)."""

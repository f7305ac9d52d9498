"""Scenario parameters with declared ranges, built-in scenarios and TOML scenario files."""

"""Numba kernels: arrays in, arrays out; no package state, no randomness (uniforms come in as arrays)."""

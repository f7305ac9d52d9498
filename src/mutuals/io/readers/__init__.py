"""Readers of real social-media data into the canonical tables."""

"""Parameter sweeps with replicate seeds spawned from one SeedSequence."""

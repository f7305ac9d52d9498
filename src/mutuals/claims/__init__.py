"""The thread's claims as experiments."""

"""Helpers shared by every test folder (importable as ``helpers``: pytest puts tests/ on the path)."""

"""Follow graphs: generated ones that look like real ones, and loaders for real ones."""

"""Graph rewrites run after emission (being written)."""

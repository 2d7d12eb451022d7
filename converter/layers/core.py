"""Emitters for Keras core layers (being written)."""

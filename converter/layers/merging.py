"""Emitters for Keras merging layers (being written)."""

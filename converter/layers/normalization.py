"""Emitters for Keras normalization layers (being written)."""

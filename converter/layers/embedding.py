"""Emitters for Keras embedding layers (being written)."""

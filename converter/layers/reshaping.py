"""Emitters for Keras reshaping layers (being written)."""

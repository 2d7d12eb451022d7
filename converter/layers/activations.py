"""Emitters for Keras activations layers (being written)."""

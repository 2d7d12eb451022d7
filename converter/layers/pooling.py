"""Emitters for Keras pooling layers (being written)."""

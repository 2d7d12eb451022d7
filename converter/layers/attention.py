"""Emitters for Keras attention layers (being written)."""

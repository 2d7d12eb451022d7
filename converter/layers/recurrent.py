"""Emitters for Keras recurrent layers (being written)."""

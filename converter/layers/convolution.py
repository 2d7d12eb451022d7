"""Emitters for Keras convolution layers (being written)."""

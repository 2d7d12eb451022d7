"""Pruning: magnitude pruning of conv / dense weights and their sparse storage.

  convert(model, prune=0.75, prune_block="1x4")     prune the converter's IR weights and
                                                    store them sparse (graph_prune.py,
                                                    sparse_format.py)
  prune_and_finetune(model, x, y, sparsity=0.75)    gradual pruning while fine-tuning a copy
                                                    of a Keras model (finetune.py)

magnitude.py holds the masks both use, computed in TensorFlow Lite's weight layout."""
from .magnitude import BLOCKS, MAX_SPARSITY, magnitude_mask, parse_block, prune_array


def prune_and_finetune(model, x, y=None, sparsity: float = 0.75, epochs: int = 3,
                       block=(1, 1), **kwargs):
    """See finetune.prune_and_finetune (imported lazily: it needs Keras)."""
    from .finetune import prune_and_finetune as run
    return run(model, x, y, sparsity=sparsity, epochs=epochs, block=block, **kwargs)


__all__ = ["BLOCKS", "MAX_SPARSITY", "magnitude_mask", "parse_block", "prune_array",
           "prune_and_finetune"]

"""Layer emitters, one module per family. Importing this package registers them all."""
from . import (  # noqa: F401  (imported for their @register side effects)
    activations,
    attention,
    convolution,
    core,
    embedding,
    merging,
    normalization,
    pooling,
    recurrent,
    reshaping,
)

"""litert: run TensorFlow Lite flatbuffer models (.tflite) on a compact C runtime.

    import litert
    interpreter = litert.Interpreter(model_path="model.tflite")
    interpreter.allocate_tensors()

`Interpreter` has the API of tf.lite.Interpreter.
"""

import os as _os

from .custom_ops import CustomNode, CustomOp, TensorSpec
from .interpreter import Interpreter, SignatureRunner, isa_levels

# The converter's sources live in the repository's top-level converter/ directory, and the
# wheel installs them as litert/converter. When this module is imported from a source checkout
# (tests run from the repository root), let `litert.converter` resolve to converter/ as well.
_here = _os.path.dirname(_os.path.abspath(__file__))
_checkout = _os.path.dirname(_here)
if (not _os.path.isdir(_os.path.join(_here, "converter"))
        and _os.path.isfile(_os.path.join(_checkout, "converter", "__init__.py"))):
    __path__.append(_checkout)  # noqa: F821 (__path__ is defined for packages)

# Kept equal to the version in pyproject.toml and to the C library's lt_version() (a test
# checks the latter).
__version__ = "0.1.0"

__all__ = ["CustomNode", "CustomOp", "Interpreter", "SignatureRunner", "TensorSpec",
           "isa_levels", "__version__"]

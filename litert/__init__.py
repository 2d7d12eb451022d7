"""litert: run TensorFlow Lite flatbuffer models (.tflite) on a compact C runtime.

    import litert
    interpreter = litert.Interpreter(model_path="model.tflite")
    interpreter.allocate_tensors()

`Interpreter` has the API of tf.lite.Interpreter.
"""

from .interpreter import Interpreter, SignatureRunner

# Kept equal to the version in pyproject.toml and to the C library's lt_version() (a test
# checks the latter).
__version__ = "0.1.0"

__all__ = ["Interpreter", "SignatureRunner", "__version__"]

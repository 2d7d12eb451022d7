"""litert.converter: trained Keras 3 models to TensorFlow Lite flatbuffers (.tflite).

    from litert.converter import convert
    content = convert(model)                 # keras.Model, or a .keras / .h5 path -> bytes

The converter walks the Keras graph (keras_graph), emits TensorFlow Lite builtin ops per layer
(layers/, looked up in registry), rewrites the graph (passes/) and serializes it (writer)."""
from .api import convert, convert_file, load_model, model_info
from .registry import ConversionError, supported_layers

__all__ = ["convert", "convert_file", "load_model", "model_info", "ConversionError",
           "supported_layers"]

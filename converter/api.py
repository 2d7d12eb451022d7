"""The converter's Python API: `convert` (Keras model or saved file -> .tflite bytes),
`convert_file` and `model_info` (what each layer became, for `litert-convert --info`)."""
from __future__ import annotations

import os
from typing import Any, Optional, Union

from .ir import Graph
from .registry import ConversionError

PathLike = Union[str, "os.PathLike[str]"]


def load_model(path: PathLike):
    """A Keras model from a `.keras` or `.h5` file (or a directory Keras can load)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ConversionError(f"{path}: no such file or directory")
    import keras
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "saved_model.pb")):
            raise ConversionError(
                f"{path} is a TensorFlow SavedModel: Keras 3 cannot load it as a Keras model "
                "(only wrap it in keras.layers.TFSMLayer, whose TensorFlow graph this converter "
                "does not read); load the original model and save it with "
                "model.save('model.keras')")
        raise ConversionError(f"{path} is a directory, not a .keras or .h5 model file")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # Keras raises ValueError/OSError/... with useful messages
        raise ConversionError(f"{path}: Keras cannot load this model: "
                              f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                              ) from exc


def _as_model(model_or_path):
    if isinstance(model_or_path, (str, os.PathLike)):
        return load_model(model_or_path)
    return model_or_path


def build(model_or_path, *, optimize: bool = True) -> Graph:
    """The IR graph for a model, after the optimization passes when `optimize`."""
    from . import layers  # noqa: F401  (registers the emitters)
    from .keras_graph import build_graph
    from .passes import run_passes

    graph = build_graph(_as_model(model_or_path))
    if optimize:
        run_passes(graph)
    else:
        from .passes import dead_ops
        dead_ops.run(graph)
    return graph


def convert(model_or_path, *, optimize: bool = True, quantize: Optional[str] = None,
            calibration: Any = None, io_dtype: str = "int8", prune: Optional[float] = None,
            prune_block: Any = "1x1") -> bytes:
    """Converts a Keras 3 model (a keras.Model, or the path of a `.keras` / `.h5` file) to
    .tflite bytes. `optimize` runs the graph passes (activation fusion, batch-norm folding,
    constant folding, identity removal). `quantize` stores the weights compressed:
    "float16" (half the size; float16 weights dequantized once when the model loads) or
    "dynamic" (int8 weights of conv / depthwise / fully-connected ops, which then run as
    hybrid ops on float activations), "int8" (full-integer: int8 activations calibrated on
    `calibration`, int8 per-channel weights, int32 biases; runs on integer kernels); None
    keeps float32.
    `calibration` (int8 only): representative input data — a NumPy array of samples (axis 0)
    for a one-input model, or a list / generator of batches (each an array, or a list or
    dict of arrays for several inputs); a few hundred typical samples are enough.
    `io_dtype` (int8 only): "int8" makes the model's inputs and outputs int8 (read their scale
    and zero point from get_input_details()/get_output_details()); "float" keeps them float32
    with QUANTIZE / DEQUANTIZE ops inside the model.
    `prune` (0 to 0.95): zero that fraction of each conv / depthwise / fully-connected weight
    by magnitude (the model itself is not changed), in `prune_block`s ("1x1" element-wise,
    "1x4": 4 consecutive input channels, "4x1": 4 consecutive output channels), and store
    the weights in the format's sparse encoding where the file gets smaller (prune=0 only
    stores sparse what is already zero, e.g. a model from prune.prune_and_finetune).
    Combines with every `quantize` mode. None: no pruning, weights stored dense.
    Raises ConversionError naming the layer that cannot be converted."""
    from .writer import write
    block = None
    if prune is not None:
        from .prune.magnitude import check_sparsity, parse_block
        try:
            prune = check_sparsity(prune)
            block = parse_block(prune_block)
        except (TypeError, ValueError) as exc:
            raise ConversionError(f"prune: {exc}") from exc
    if quantize is not None:
        from .quantize import MODES
        if quantize not in MODES:  # before the (slow) conversion
            raise ConversionError(f"unknown quantization mode {quantize!r}; expected one of "
                                  f"{', '.join(MODES)} (or None for a float32 model)")
    if quantize == "int8":
        from .quantize.int8 import IO_DTYPES
        if io_dtype not in IO_DTYPES:
            raise ConversionError(f"io_dtype must be one of {', '.join(IO_DTYPES)}, "
                                  f"not {io_dtype!r}")
        if calibration is None:
            raise ConversionError("quantize='int8' needs calibration= (representative input "
                                  "samples: a NumPy array, a list or a generator of batches)")
    elif calibration is not None:
        raise ConversionError(f"calibration= applies to quantize='int8' only, not "
                              f"quantize={quantize!r}")
    graph = build(model_or_path, optimize=optimize)
    if prune is not None:
        # Pruned after the passes (the file's own weights, batch norm already folded) and
        # before quantization (every mode keeps zeros exact); see converter/prune/.
        from .prune.graph_prune import prune_graph
        prune_graph(graph, prune, block)
    if quantize is not None:
        from .quantize import quantize_graph
        quantize_graph(graph, quantize, calibration=calibration, io_dtype=io_dtype)
    if prune is not None:
        from .prune.sparse_format import store_sparse
        store_sparse(graph)
    return write(graph)


def convert_file(src: PathLike, dst: PathLike, *, optimize: bool = True,
                 quantize: Optional[str] = None, calibration: Any = None,
                 io_dtype: str = "int8", prune: Optional[float] = None,
                 prune_block: Any = "1x1") -> int:
    """Converts the model file `src` and writes the .tflite file `dst`; returns its size."""
    content = convert(src, optimize=optimize, quantize=quantize, calibration=calibration,
                      io_dtype=io_dtype, prune=prune, prune_block=prune_block)
    with open(dst, "wb") as f:
        f.write(content)
    return len(content)


def model_info(model_or_path, *, optimize: bool = True) -> list[dict[str, Any]]:
    """One row per Keras layer that emitted ops: layer name, class, the TensorFlow Lite ops it
    became (after the passes when `optimize`), its output shape, its parameter count and the
    bytes of constant data its ops carry."""
    import numpy as np

    model = _as_model(model_or_path)
    graph = build(model, optimize=optimize)
    classes: dict[str, str] = {}
    params: dict[str, int] = {}

    def visit(m):
        for layer in getattr(m, "layers", []):
            classes.setdefault(layer.name, type(layer).__name__)
            params.setdefault(layer.name, int(layer.count_params()) if layer.built else 0)
            visit(layer)
    visit(model)

    rows: dict[str, dict[str, Any]] = {}
    counted: set[int] = set()
    for op in graph.ops:
        name = op.layer or "?"
        row = rows.setdefault(name, {"layer": name, "class": classes.get(name, ""),
                                     "ops": [], "output_shape": None,
                                     "params": params.get(name, 0), "weight_bytes": 0})
        row["ops"].append(op.kind)
        row["output_shape"] = list(op.outputs[0].signature or op.outputs[0].shape)
        for t in op.inputs:
            if t is not None and t.is_constant and id(t) not in counted:
                counted.add(id(t))
                row["weight_bytes"] += int(np.asarray(t.data).nbytes)
    return list(rows.values())

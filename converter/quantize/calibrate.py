"""Calibration for full-integer quantization: the range (min, max) every float activation
tensor of a converter Graph takes over a representative dataset.

The float graph is run exactly as it will be deployed: a copy of it that lists every
non-constant float32 tensor as a graph output is written with the converter's own writer and
run in litert's interpreter, batch by batch. (Listing the tensors as outputs, rather than
reading intermediates after invoke, matters: the interpreter reuses the memory of
intermediates once their last reader has run.) Like TensorFlow Lite's converter, the range of
a tensor is the plain min / max over the whole dataset.

Calibration data (the `calibration=` argument of convert):
  * a NumPy array: samples along axis 0 for a model with one input;
  * a list / tuple / iterable / generator of batches, each batch an array (one-input model),
    or a list / tuple of arrays (one per model input, in order), or a dict input name -> array;
  * a dict input name -> array (samples along axis 0), as read from an .npz file.
A batch may hold any number of samples along axis 0 (the model's batch dimension)."""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional

import numpy as np

from ..ir import Graph, Tensor
from ..registry import ConversionError

# Samples run per invoke when the model's batch dimension is dynamic.
MAX_BATCH = 64

Range = tuple[float, float]


def _as_input_list(batch: Any, graph: Graph) -> list[np.ndarray]:
    names = [graph.input_names[i] if i < len(graph.input_names) else t.name
             for i, t in enumerate(graph.inputs)]
    if isinstance(batch, dict):
        missing = [n for n in names if n not in batch]
        if missing and len(batch) == len(names) and all(k.startswith("arr_") for k in batch):
            return [np.asarray(batch[f"arr_{i}"]) for i in range(len(names))]  # np.savez
        if missing:
            raise ConversionError(f"calibration data has no entry for model input(s) "
                                  f"{missing}; it has {sorted(batch)}")
        return [np.asarray(batch[n]) for n in names]
    if isinstance(batch, (list, tuple)):
        arrays = [np.asarray(a) for a in batch]
    else:
        arrays = [np.asarray(batch)]
    if len(arrays) != len(names):
        raise ConversionError(f"a calibration batch has {len(arrays)} array(s) but the model "
                              f"has {len(names)} input(s) {names}")
    return arrays


def batches(calibration: Any, graph: Graph) -> Iterator[list[np.ndarray]]:
    """The calibration data as batches: one list of arrays (one per graph input) each, every
    array checked against its input's shape (any batch size) and cast to its dtype."""
    if calibration is None:
        raise ConversionError("int8 quantization needs calibration data: pass calibration= "
                              "(a NumPy array of input samples, a list of batches or a "
                              "generator of batches; --calibration data.npy on the command "
                              "line)")
    if isinstance(calibration, np.ndarray) or isinstance(calibration, dict):
        source: Iterable[Any] = [calibration]
    else:
        try:
            source = iter(calibration)
        except TypeError:
            raise ConversionError(f"calibration data must be a NumPy array, a list or an "
                                  f"iterable of batches, not {type(calibration).__name__}"
                                  ) from None
    count = 0
    for batch in source:
        arrays = _as_input_list(batch, graph)
        checked = []
        for t, a in zip(graph.inputs, arrays):
            want = tuple(t.shape[1:])
            if a.ndim == len(t.shape) - 1 and tuple(a.shape) == want:
                a = a[np.newaxis]          # one sample without its batch axis
            if a.ndim != len(t.shape) or tuple(a.shape[1:]) != want:
                raise ConversionError(f"calibration data for input {t.name!r} has shape "
                                      f"{list(a.shape)}; expected [batch, "
                                      f"{', '.join(str(d) for d in want)}]")
            if a.shape[0] == 0:
                continue
            checked.append(np.ascontiguousarray(a, dtype=np.dtype(t.dtype)))
        if len(checked) != len(arrays):
            continue                         # an empty batch
        if len({a.shape[0] for a in checked}) != 1:
            raise ConversionError("a calibration batch has different sample counts per input: "
                                  f"{[a.shape[0] for a in checked]}")
        count += 1
        yield checked
    if count == 0:
        raise ConversionError("the calibration data holds no samples")


def _calibration_model(graph: Graph) -> tuple[bytes, list[Tensor]]:
    """The graph written with every non-constant float32 tensor but the inputs (whose ranges
    come from the data itself) as an output."""
    from ..writer import write

    inputs = {id(t) for t in graph.inputs}
    observed = [t for t in graph.tensors() if not t.is_constant and id(t) not in inputs
                and np.dtype(t.dtype) == np.float32]
    copy = Graph()
    copy.ops = list(graph.ops)
    copy.inputs = list(graph.inputs)
    copy.input_names = list(graph.input_names)
    copy.outputs = observed
    copy.output_names = [t.name for t in observed]
    return write(copy), observed


def _rechunk(source: Iterator[list[np.ndarray]], size: int) -> Iterator[list[np.ndarray]]:
    """The samples of `source`, in order, regrouped into pieces of exactly `size` samples (the
    last one shorter). The float kernels may round a sample's values differently with
    different batch sizes (a one-row FULLY_CONNECTED runs another kernel than a many-row
    one), so the ranges, and hence the file, depend only on the samples and their order, not
    on how the caller grouped them."""
    pending: list[list[np.ndarray]] = []
    count = 0
    for arrays in source:
        pending.append(arrays)
        count += arrays[0].shape[0]
        while count >= size:
            joined = [np.concatenate([p[i] for p in pending]) for i in range(len(arrays))]
            yield [a[:size] for a in joined]
            rest = [a[size:] for a in joined]
            count -= size
            pending = [rest] if count > 0 else []
    if count > 0:
        yield [np.concatenate([p[i] for p in pending]) for i in range(len(pending[0]))]


def collect_ranges(graph: Graph, calibration: Any) -> dict[int, Range]:
    """{id(tensor): (min, max)} over the calibration data, for every non-constant float32
    tensor of `graph` (graph inputs included)."""
    from litert import Interpreter

    content, observed = _calibration_model(graph)
    interp = Interpreter(model_content=content)
    in_details = interp.get_input_details()
    dynamic = all(t.signature is not None and t.signature[0] == -1 for t in graph.inputs)
    step = MAX_BATCH if dynamic else 1
    if not dynamic and any(t.shape[0] != 1 for t in graph.inputs):
        step = None                      # fixed batch > 1: run batches of exactly that size
    by_name = {t.name: t for t in observed}
    lo: dict[int, float] = {}
    hi: dict[int, float] = {}
    current: Optional[tuple[int, ...]] = None
    out_index: list[tuple[int, Tensor]] = []
    source = batches(calibration, graph)
    if step is not None:
        source = _rechunk(source, step)
    for piece in source:
        shapes = tuple(a.shape[0] for a in piece)
        if shapes != current:
            for d, a in zip(in_details, piece):
                if tuple(d["shape"]) != a.shape:
                    try:
                        interp.resize_tensor_input(d["index"], list(a.shape))
                    except ValueError as exc:
                        raise ConversionError(f"cannot run the float model on a "
                                              f"calibration batch of shape "
                                              f"{list(a.shape)}: {exc}") from exc
            interp.allocate_tensors()
            out_index = [(d["index"], by_name[d["name"]])
                         for d in interp.get_output_details()]
            current = shapes
        for d, a in zip(in_details, piece):
            interp.set_tensor(d["index"], a)
        interp.invoke()
        values = [(t, a) for t, a in zip(graph.inputs, piece)
                  if np.dtype(t.dtype) == np.float32]
        values += [(t, interp.get_tensor(index)) for index, t in out_index]
        for t, v in values:
            if v.size == 0:
                continue
            vmin, vmax = float(np.min(v)), float(np.max(v))
            if not (np.isfinite(vmin) and np.isfinite(vmax)):
                raise ConversionError(f"tensor {t.name!r} takes non-finite values on the "
                                      "calibration data; int8 cannot represent them")
            key = id(t)
            lo[key] = min(lo.get(key, vmin), vmin)
            hi[key] = max(hi.get(key, vmax), vmax)
    missing = [t.name for t in observed if id(t) not in lo]
    missing += [t.name for t in graph.inputs
                if np.dtype(t.dtype) == np.float32 and id(t) not in lo]
    if missing:
        raise ConversionError(f"calibration produced no values for tensors {missing[:5]}")
    return {k: (lo[k], hi[k]) for k in lo}

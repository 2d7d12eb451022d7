"""What quantization (and pruning) did to each layer of a model: weight bytes before and after,
the fraction of zero weights, and the error of the layer's output against the float model on
representative data.

    from litert.converter.report import quantization_report, format_report
    rows = quantization_report(model, ["float16", "int8"], calibration=x[:64])
    print(format_report(rows))

How it is measured, from the .tflite files themselves (so any file the converter writes, pruned
or not, is reported the same way):
  * weight bytes: the converter names every constant "<layer>/<what>" (e.g. "dense/kernel",
    "conv1/filter/int8"), so each constant's buffer is counted for the Keras layer before the
    first "/". Biases, per-channel scales of folded batch norms, shapes: all count.
  * sparsity: the fraction of zero values among the layer's float / int8 weight constants (a
    sparse-format tensor counts the values it does not store as zeros).
  * error: a tensor named exactly after a layer is that layer's output. In a copy of each file
    those tensors are made graph outputs (TensorFlow Lite runtimes reuse the memory of
    intermediate tensors, graph outputs survive invoke), the float and the quantized files run
    in litert on the same samples, int8 outputs are dequantized with their scale and zero
    point, and the report gives max |quantized - float| and the relative RMS error
    rms(quantized - float) / rms(float). Layers fused into a following op (a Conv2D followed by
    BatchNormalization and ReLU becomes one CONV_2D whose output is the ReLU's) have no output
    of their own: their error is reported on the layer that absorbed them."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import numpy as np

import litert_schema as fb

from .registry import ConversionError

FLOAT_MODE = "float32"
# Samples of the calibration data the errors are measured on (each runs both files once).
DEFAULT_MAX_SAMPLES = 64
FILE_ROW = "(whole file)"

_NUMERIC_WEIGHT_TYPES = {fb.TensorType.FLOAT32: np.float32, fb.TensorType.FLOAT16: np.float16,
                         fb.TensorType.INT8: np.int8}


# ---- reading a .tflite file ------------------------------------------------------------------

class _File:
    """A .tflite file read with the schema's object API, with its tensors by name."""

    def __init__(self, content: bytes):
        self.content = content
        self.model = fb.ModelT.InitFromPackedBuf(content, 0)
        self.sg = self.model.subgraphs[0]
        self.index_of = {self.name(i): i for i in range(len(self.sg.tensors))}

    def name(self, i: int) -> str:
        n = self.sg.tensors[i].name
        return n.decode() if isinstance(n, bytes) else str(n)

    def data(self, i: int) -> Optional[bytes]:
        buf = self.model.buffers[self.sg.tensors[i].buffer]
        if buf is None or buf.data is None or len(buf.data) == 0:
            return None
        return np.asarray(buf.data, dtype=np.uint8).tobytes()

    def weights_by_layer(self) -> dict[str, dict[str, float]]:
        """{layer: {"bytes": constant bytes, "zeros": zero weights, "elements": weights}}."""
        out: dict[str, dict[str, float]] = {}
        for i, t in enumerate(self.sg.tensors):
            raw = self.data(i)
            if raw is None:
                continue
            layer = self.name(i).split("/")[0]
            row = out.setdefault(layer, {"bytes": 0, "zeros": 0, "elements": 0})
            row["bytes"] += len(raw)
            dtype = _NUMERIC_WEIGHT_TYPES.get(t.type)
            if dtype is None or t.shape is None or len(t.shape) < 2:
                continue                      # biases, shapes, indices: not weights
            values = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
            dense_size = int(np.prod(t.shape))
            unstored = dense_size - values.size if t.sparsity is not None else 0
            row["zeros"] += unstored + int(np.count_nonzero(values == 0))
            row["elements"] += dense_size
        return out

    def quantization(self, i: int) -> Optional[tuple[float, int]]:
        q = self.sg.tensors[i].quantization
        if q is None or q.scale is None or len(q.scale) == 0:
            return None
        zp = 0 if q.zeroPoint is None or len(q.zeroPoint) == 0 else int(q.zeroPoint[0])
        return float(q.scale[0]), zp

    def with_outputs(self, names: Sequence[str]) -> bytes:
        """A copy of the file whose graph outputs also include the named tensors."""
        from .writer import AlignedBufferT  # keeps constant data 16-byte aligned
        import flatbuffers

        model = fb.ModelT.InitFromPackedBuf(self.content, 0)
        sg = model.subgraphs[0]
        outputs = list(sg.outputs)
        for n in names:
            if self.index_of[n] not in outputs:
                outputs.append(self.index_of[n])
        sg.outputs = outputs
        buffers = []
        for b in model.buffers:
            nb = AlignedBufferT()
            nb.data = None if b is None or b.data is None else np.asarray(b.data, np.uint8).tobytes()
            buffers.append(nb)
        model.buffers = buffers
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=fb.FILE_IDENTIFIER)
        return bytes(builder.Output())


# ---- running ----------------------------------------------------------------------------------

def _feeds(calibration: Any, n_inputs: int, limit: int) -> list[list[np.ndarray]]:
    """Single samples (batch 1), each a list with one array per model input, from calibration
    data in the forms convert() accepts: an array of samples (one-input model), or a list /
    generator of batches, each an array, a list of arrays or a dict of arrays."""
    if isinstance(calibration, np.ndarray):
        batches: Iterable[Any] = [calibration]
    elif callable(calibration):
        batches = calibration()
    else:
        batches = calibration
    samples: list[list[np.ndarray]] = []
    for batch in batches:
        if isinstance(batch, Mapping):
            parts = [np.asarray(v) for v in batch.values()]
        elif isinstance(batch, (list, tuple)):
            parts = [np.asarray(v) for v in batch]
        else:
            parts = [np.asarray(batch)]
        if len(parts) != n_inputs:
            raise ConversionError(f"calibration batch has {len(parts)} arrays, the model has "
                                  f"{n_inputs} inputs")
        for k in range(parts[0].shape[0]):
            samples.append([p[k:k + 1] for p in parts])
            if len(samples) >= limit:
                return samples
    if not samples:
        raise ConversionError("calibration data holds no samples")
    return samples


def _run(content: bytes, names: Sequence[str], feeds: list[list[np.ndarray]], file: _File,
         interpreter_cls=None) -> dict[str, np.ndarray]:
    """{tensor name: float values stacked over the samples} for the named tensors."""
    if interpreter_cls is None:
        from litert import Interpreter as interpreter_cls
    interp = interpreter_cls(model_content=file.with_outputs(names))
    interp.allocate_tensors()
    inputs = interp.get_input_details()
    by_name = {d["name"]: d for d in interp.get_output_details()}
    got: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for feed in feeds:
        for d, x in zip(inputs, feed):
            if np.dtype(d["dtype"]) == np.int8:
                scale, zp = d["quantization"]
                scaled = x.astype(np.float64) / scale
                q = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) + zp
                x = np.clip(q, -128, 127)
            interp.set_tensor(d["index"], x.astype(d["dtype"]).reshape(d["shape"]))
        interp.invoke()
        for n in names:
            y = interp.get_tensor(by_name[n]["index"]).astype(np.float64)
            q = file.quantization(file.index_of[n])
            if file.sg.tensors[file.index_of[n]].type == fb.TensorType.INT8 and q is not None:
                y = q[0] * (y - q[1])
            got[n].append(y)
    return {n: np.concatenate([v.reshape(1, -1) for v in vs]) for n, vs in got.items()}


# ---- the report -------------------------------------------------------------------------------

def _layers(model) -> list[tuple[str, str, int]]:
    """(name, class, parameter count) of the model's layers in order, nested models
    flattened."""
    out: list[tuple[str, str, int]] = []

    def visit(m):
        for layer in getattr(m, "layers", []):
            if getattr(layer, "layers", None):
                visit(layer)
            else:
                params = int(layer.count_params()) if layer.built else 0
                out.append((layer.name, type(layer).__name__, params))
    visit(model)
    return out


def _errors(quant: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    diff = quant - ref
    rms_ref = float(np.sqrt(np.mean(ref ** 2)))
    rms = float(np.sqrt(np.mean(diff ** 2)))
    return float(np.max(np.abs(diff))), (rms / rms_ref if rms_ref > 0 else rms)


def quantization_report(model, content_by_mode: Union[Mapping[str, bytes], Sequence[str]],
                        calibration: Any = None, *,
                        max_samples: int = DEFAULT_MAX_SAMPLES) -> list[dict[str, Any]]:
    """Per-layer rows comparing each quantized (or pruned) file with the float32 file.

    `model`: the Keras model (or a .keras / .h5 path) the files were converted from.
    `content_by_mode`: {mode label: .tflite bytes} (the label is free text, e.g. "int8" or
    "int8 + prune 0.75"; "float32", if present, is the reference), or a list of quantization
    modes ("float16", "dynamic", "int8") to convert here (int8 calibrated on `calibration`).
    `calibration`: representative inputs for the error columns (the forms convert() accepts);
    None leaves them empty. At most `max_samples` samples are run.

    Each row: layer, class, mode, float_bytes, bytes, ratio, sparsity (fraction of zero
    weights in the mode's file, None without weights), max_abs_error, rel_rms_error (None
    when the layer has no output tensor in both files or without calibration), note.
    The last row of each mode (layer FILE_ROW) compares the whole files."""
    from .api import _as_model, convert

    model = _as_model(model)
    if isinstance(content_by_mode, Mapping):
        contents = dict(content_by_mode)
    else:
        contents = {}
        for mode in content_by_mode:
            if mode in (None, FLOAT_MODE):
                continue
            contents[mode] = convert(model, quantize=mode,
                                     calibration=calibration if mode == "int8" else None)
    reference = _File(contents.pop(FLOAT_MODE, None) or convert(model))
    files = {mode: _File(c) for mode, c in contents.items()}
    layers = _layers(model)
    ref_weights = reference.weights_by_layer()

    feeds = None
    if calibration is not None:
        feeds = _feeds(calibration, len(reference.sg.inputs), max_samples)

    rows: list[dict[str, Any]] = []
    for mode, f in files.items():
        weights = f.weights_by_layer()
        # Layer outputs present in both files (and not graph inputs).
        outputs = [n for n, _, _ in layers if n in f.index_of and n in reference.index_of
                   and reference.index_of[n] not in reference.sg.inputs]
        ref_values = got_values = {}
        if feeds is not None and outputs:
            ref_values = _run(reference.content, outputs, feeds, reference)
            got_values = _run(f.content, outputs, feeds, f)
        pending: list[dict[str, Any]] = []   # fused layers waiting for the layer absorbing them
        for name, cls, params in layers:
            has_output = name in ref_values
            w_ref, w_got = ref_weights.get(name), weights.get(name)
            folded = not has_output and w_ref is None and w_got is None
            if folded and not params:
                continue                     # e.g. the input layer, a removed Dropout
            row = {"layer": name, "class": cls, "mode": mode,
                   "float_bytes": int(w_ref["bytes"]) if w_ref else 0,
                   "bytes": int(w_got["bytes"]) if w_got else 0,
                   "ratio": None, "sparsity": None, "max_abs_error": None,
                   "rel_rms_error": None,
                   "note": "folded into a neighbour's weights" if folded else ""}
            if row["float_bytes"]:
                row["ratio"] = row["bytes"] / row["float_bytes"]
            if w_got and w_got["elements"]:
                row["sparsity"] = w_got["zeros"] / w_got["elements"]
            if has_output:
                row["max_abs_error"], row["rel_rms_error"] = _errors(got_values[name],
                                                                     ref_values[name])
                for p in pending:
                    p["note"] = (p["note"] or "fused") + f"; error at {name}"
                pending = []
            elif feeds is not None and name not in f.index_of:
                pending.append(row)
            rows.append(row)
        file_row = {"layer": FILE_ROW, "class": "", "mode": mode,
                    "float_bytes": len(reference.content), "bytes": len(f.content),
                    "ratio": len(f.content) / len(reference.content), "sparsity": None,
                    "max_abs_error": None, "rel_rms_error": None, "note": ""}
        last = [r for r in rows if r["mode"] == mode and r["max_abs_error"] is not None]
        if last:
            file_row["max_abs_error"] = last[-1]["max_abs_error"]
            file_row["rel_rms_error"] = last[-1]["rel_rms_error"]
            file_row["note"] = f"error at {last[-1]['layer']}"
        rows.append(file_row)
    return rows


def format_report(rows: Sequence[Mapping[str, Any]]) -> str:
    """A plain-text table of quantization_report rows, one block per mode."""
    def num(v, fmt):
        return "-" if v is None else format(v, fmt)

    header = ("layer", "class", "float bytes", "bytes", "ratio", "zeros", "max |err|",
              "rel RMS err", "note")
    lines: list[str] = []
    modes: list[str] = []
    for r in rows:
        if r["mode"] not in modes:
            modes.append(r["mode"])
    for mode in modes:
        table = [header]
        for r in rows:
            if r["mode"] != mode:
                continue
            table.append((r["layer"], r["class"], f"{r['float_bytes']:,}", f"{r['bytes']:,}",
                          num(r["ratio"], ".3f"),
                          "-" if not r["sparsity"] else f"{100 * r['sparsity']:.1f}%",
                          num(r["max_abs_error"], ".3g"), num(r["rel_rms_error"], ".2%"),
                          r["note"]))
        widths = [max(len(str(row[c])) for row in table) for c in range(len(header))]
        if lines:
            lines.append("")
        lines.append(f"mode: {mode}")
        for k, row in enumerate(table):
            cells = [str(v).ljust(w) if c in (0, 1, 8) else str(v).rjust(w)
                     for c, (v, w) in enumerate(zip(row, widths))]
            lines.append("  ".join(cells).rstrip())
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report_for_cli(model, quantize: Optional[str], calibration: Any = None,
                   prune: Optional[float] = None, prune_block: str = "1x1") -> str:
    """The `litert-convert --report` text: converts `model` as the CLI does (quantize mode,
    calibration for int8, prune when given) and compares it with the float32 conversion,
    layer by layer. Errors are measured on `calibration` when given (for float16 / dynamic
    too: the data is then only used to measure)."""
    from .api import _as_model, convert

    model = _as_model(model)
    kwargs: dict[str, Any] = {"quantize": quantize}
    if quantize == "int8":
        kwargs["calibration"] = calibration
    if prune is not None:
        kwargs.update(prune=prune, prune_block=prune_block)
    content = convert(model, **kwargs)
    label = quantize or FLOAT_MODE
    if prune is not None:
        label += f" + prune {prune} ({prune_block})"
    if label == FLOAT_MODE:
        label = "float32 (not quantized)"
    rows = quantization_report(model, {FLOAT_MODE: convert(model), label: content},
                               calibration)
    text = format_report(rows)
    if calibration is None:
        text += "\n(no calibration data: pass representative inputs to measure output errors)"
    return text

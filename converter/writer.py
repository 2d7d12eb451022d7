"""Serializes a converter Graph into .tflite bytes with the generated schema code (litert_schema's
object API).

Layout of the file written:
  * version 3, one subgraph "main", description "litert converter";
  * buffer 0 is the empty sentinel every non-constant tensor points at; each distinct constant
    payload gets one buffer (identical payloads, e.g. the weights of a shared layer emitted
    twice, share a buffer), its data vector aligned to 16 bytes so readers may view it in place
    as any element type;
  * operator codes are deduplicated per (op, version), in first-use order;
  * one SignatureDef "serving_default" mapping the Keras input / output names to tensors.

The same graph always produces the same bytes (everything is emitted in graph order)."""
from __future__ import annotations

from typing import Any, Optional

import flatbuffers
import numpy as np

import litert_schema as fb

from .ir import Graph, Op, Tensor
from .op_versions import op_version_of
from .registry import ConversionError

DESCRIPTION = "litert converter"
SIGNATURE_KEY = "serving_default"

# Constant data starts on this boundary (TensorFlow's converter uses 16 as well), so readers
# may view it in place as any element type. flatc's Python generator ignores the schema's
# force_align attribute, hence AlignedBufferT (also used by the tests' model builder).
BUFFER_ALIGNMENT = 16

TENSOR_TYPES = {
    np.dtype(np.float32): fb.TensorType.FLOAT32,
    np.dtype(np.float16): fb.TensorType.FLOAT16,
    np.dtype(np.float64): fb.TensorType.FLOAT64,
    np.dtype(np.int8): fb.TensorType.INT8,
    np.dtype(np.int16): fb.TensorType.INT16,
    np.dtype(np.int32): fb.TensorType.INT32,
    np.dtype(np.int64): fb.TensorType.INT64,
    np.dtype(np.uint8): fb.TensorType.UINT8,
    np.dtype(np.uint16): fb.TensorType.UINT16,
    np.dtype(np.uint32): fb.TensorType.UINT32,
    np.dtype(np.uint64): fb.TensorType.UINT64,
    np.dtype(np.bool_): fb.TensorType.BOOL,
    np.dtype(np.complex64): fb.TensorType.COMPLEX64,
}

# Operator-code versions: converter/op_versions.py gives, per op, the version TensorFlow's
# converter writes for the same tensor types and options (checked against its files); like
# TensorFlow's files, each op kind gets one operator code at the highest version any of its
# operators needs.


def tensor_type(dtype) -> int:
    dt = np.dtype(dtype)
    if dt not in TENSOR_TYPES:
        raise ConversionError(f"tensor dtype {dt} cannot be stored in a .tflite file; "
                              f"supported: {sorted(str(d) for d in TENSOR_TYPES)}")
    return TENSOR_TYPES[dt]


class AlignedBufferT(fb.BufferT):
    """BufferT whose data vector starts on a BUFFER_ALIGNMENT boundary: the vector is written
    by hand (StartVector with the wanted alignment, then the bytes in one slice)."""

    def Pack(self, builder):
        data = None
        if self.data is not None:
            raw = self.data
            if not isinstance(raw, (bytes, bytearray)):  # list or ndarray of uint8
                raw = np.asarray(raw, dtype=np.uint8).tobytes()
            builder.StartVector(1, len(raw), BUFFER_ALIGNMENT)
            builder.head = builder.head - len(raw)
            builder.Bytes[builder.head:builder.head + len(raw)] = raw
            data = builder.EndVector()
        fb.BufferStart(builder)
        if data is not None:
            fb.BufferAddData(builder, data)
        return fb.BufferEnd(builder)


def _camel(snake: str) -> str:
    """Object-API attribute name flatc derives from a snake_case field name."""
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def options_object(table: str, fields: Optional[dict[str, Any]]):
    """An instance of `<table>T` (a BuiltinOptions member) with the given snake_case fields
    set; ValueError for an unknown table or field. Also used by the tests' model builder."""
    cls = getattr(fb, table + "T", None)
    if cls is None or not isinstance(getattr(fb.BuiltinOptions, table, None), int):
        raise ValueError(f"{table!r} is not a BuiltinOptions table")
    obj = cls()
    for key, value in (fields or {}).items():
        attr = _camel(key)
        if attr not in vars(obj):
            raise ValueError(f"{table} has no field {key!r}; fields: {sorted(vars(obj))}")
        if isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, np.generic):
            value = value.item()
        setattr(obj, attr, value)
    return obj


def _options(op: Op):
    """`<table>T` instance for the op's options, rejecting unknown fields by name."""
    try:
        return options_object(op.options_table, op.options)
    except ValueError as exc:
        raise ConversionError(f"op {op.kind} (layer {op.layer!r}): {exc}") from exc


def _quantization(quant: Optional[dict[str, Any]]):
    if not quant:
        return None
    q = fb.QuantizationParametersT()
    if "scale" in quant:
        q.scale = [float(s) for s in np.atleast_1d(quant["scale"])]
    if "zero_point" in quant:
        q.zeroPoint = [int(z) for z in np.atleast_1d(quant["zero_point"])]
    q.quantizedDimension = int(quant.get("quantized_dimension", 0))
    return q


_INDEX_VECTORS = {
    np.dtype(np.uint8): (fb.SparseIndexVector.Uint8Vector, fb.Uint8VectorT),
    np.dtype(np.uint16): (fb.SparseIndexVector.Uint16Vector, fb.Uint16VectorT),
    np.dtype(np.int32): (fb.SparseIndexVector.Int32Vector, fb.Int32VectorT),
}


def _index_vector(name: str, arr) -> tuple[int, Any]:
    arr = np.asarray(arr)
    if arr.dtype not in _INDEX_VECTORS:
        raise ConversionError(f"sparse tensor {name!r}: index array of dtype {arr.dtype}; "
                              "expected uint8, uint16 or int32")
    kind, cls = _INDEX_VECTORS[arr.dtype]
    vec = cls()
    vec.values = arr.tolist()
    return kind, vec


def _sparsity(t: Tensor):
    """SparsityParametersT for a tensor stored sparse (see converter/prune/sparse_format.py)."""
    if t.sparsity is None:
        return None
    sp = fb.SparsityParametersT()
    sp.traversalOrder = [int(v) for v in t.sparsity["traversal_order"]]
    sp.blockMap = [int(v) for v in t.sparsity.get("block_map", [])]
    sp.dimMetadata = []
    for m in t.sparsity["dim_metadata"]:
        dm = fb.DimensionMetadataT()
        dm.format = int(m["format"])
        if dm.format == fb.DimensionType.DENSE:
            dm.denseSize = int(m["dense_size"])
        else:
            dm.arraySegmentsType, dm.arraySegments = _index_vector(t.name, m["array_segments"])
            dm.arrayIndicesType, dm.arrayIndices = _index_vector(t.name, m["array_indices"])
        sp.dimMetadata.append(dm)
    return sp


def _payload(t: Tensor) -> bytes:
    arr = np.asarray(t.data)
    if t.sparsity is not None:     # only the stored values, in the sparsity's traversal order
        if arr.ndim != 1:
            raise ConversionError(f"sparse constant {t.name!r}: values must be 1-D, not "
                                  f"shape {list(arr.shape)}")
    elif tuple(arr.shape) != tuple(t.shape):
        raise ConversionError(f"constant {t.name!r}: data shape {list(arr.shape)} differs from "
                              f"tensor shape {list(t.shape)}")
    arr = arr.astype(np.dtype(t.dtype).newbyteorder("<"), copy=False)
    return np.ascontiguousarray(arr).tobytes()


def to_model(graph: Graph) -> "fb.ModelT":
    """The object-API model for `graph` (not yet serialized)."""
    tensors = graph.tensors()
    index = {id(t): i for i, t in enumerate(tensors)}

    buffers = [AlignedBufferT()]
    buffer_of_payload: dict[bytes, int] = {}
    tensor_tables = []
    for t in tensors:
        tt = fb.TensorT()
        tt.name = t.name
        tt.shape = [int(d) for d in t.shape]
        tt.type = tensor_type(t.dtype)
        tt.buffer = 0
        if t.signature is not None:
            tt.shapeSignature = [int(d) for d in t.signature]
        tt.quantization = _quantization(t.quant)
        tt.sparsity = _sparsity(t)
        if t.is_constant:
            raw = _payload(t)
            if raw:
                if raw not in buffer_of_payload:
                    buf = AlignedBufferT()
                    buf.data = raw
                    buffers.append(buf)
                    buffer_of_payload[raw] = len(buffers) - 1
                tt.buffer = buffer_of_payload[raw]
        tensor_tables.append(tt)

    codes = []
    for op in graph.ops:
        code = getattr(fb.BuiltinOperator, op.kind, None)
        if not isinstance(code, int):
            raise ConversionError(f"op {op.kind!r} (layer {op.layer!r}) is not a TensorFlow Lite "
                                  "builtin operator")
        codes.append(code)
    versions: dict[int, int] = {}
    for code, op in zip(codes, graph.ops):
        versions[code] = max(versions.get(code, 1), op_version_of(op))
    opcodes: list = []
    opcode_index: dict[int, int] = {}
    operators = []
    for code, op in zip(codes, graph.ops):
        if code not in opcode_index:
            oc = fb.OperatorCodeT()
            # Readers predating builtin_code only see the byte-wide field; 127 sends them on.
            oc.deprecatedBuiltinCode = min(
                code, fb.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES)
            oc.builtinCode = code
            oc.version = versions[code]
            opcode_index[code] = len(opcodes)
            opcodes.append(oc)
        o = fb.OperatorT()
        o.opcodeIndex = opcode_index[code]
        o.inputs = [-1 if t is None else index[id(t)] for t in op.inputs]
        o.outputs = [index[id(t)] for t in op.outputs]
        if op.options_table is not None:
            o.builtinOptionsType = getattr(fb.BuiltinOptions, op.options_table, 0)
            o.builtinOptions = _options(op)
        elif op.options:
            raise ConversionError(f"op {op.kind} (layer {op.layer!r}) has options but no "
                                  "options table")
        operators.append(o)

    sg = fb.SubGraphT()
    sg.name = "main"
    sg.tensors = tensor_tables
    sg.inputs = [index[id(t)] for t in graph.inputs]
    sg.outputs = [index[id(t)] for t in graph.outputs]
    sg.operators = operators

    sig = fb.SignatureDefT()
    sig.signatureKey = SIGNATURE_KEY
    sig.subgraphIndex = 0
    sig.inputs, sig.outputs = [], []
    for target, names, ts in ((sig.inputs, graph.input_names, graph.inputs),
                              (sig.outputs, graph.output_names, graph.outputs)):
        for i, t in enumerate(ts):
            tm = fb.TensorMapT()
            tm.name = names[i] if i < len(names) else t.name
            tm.tensorIndex = index[id(t)]
            target.append(tm)

    model = fb.ModelT()
    model.version = 3
    model.description = DESCRIPTION
    model.operatorCodes = opcodes
    model.subgraphs = [sg]
    model.buffers = buffers
    model.signatureDefs = [sig]
    return model


def write(graph: Graph) -> bytes:
    """Serializes `graph` to .tflite bytes."""
    model = to_model(graph)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=fb.FILE_IDENTIFIER)
    return bytes(builder.Output())

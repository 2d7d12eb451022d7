"""Build small .tflite models in tests, one op at a time.

    from tflite_builder import ModelBuilder
    b = ModelBuilder()
    x = b.input("x", [1, 8, 8, 3], np.float32)
    w = b.constant("w", weights)                    # data goes into a buffer
    y = b.tensor("y", [1, 8, 8, 4], np.float32)
    b.op("CONV_2D", [x, w, -1], [y], "Conv2DOptions",
         dict(padding=0, stride_w=1, stride_h=1, fused_activation_function=0))
    b.output(y)
    model_bytes = b.build()

Tensor-creating methods return the tensor's index in the (single) subgraph.
Option tables and their fields use the schema's names (schema/litert.fbs):
table names like "Conv2DOptions", snake_case field names, enums as ints.
The model is written with the project's generated flatbuffer code
(package `litert_schema`), so these tests also exercise the schema.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import flatbuffers
import numpy as np

try:
    import litert_schema as fb
except ImportError:  # running from a source tree without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "schema"))
    import litert_schema as fb

# The converter's writer owns the dtype table and the aligned buffer packing; the builder
# uses the same ones so that test models are laid out like converted ones.
from litert.converter.writer import TENSOR_TYPES as _TENSOR_TYPES  # noqa: E402
from litert.converter.writer import AlignedBufferT as _AlignedBufferT  # noqa: E402
from litert.converter.writer import options_object  # noqa: E402


def tensor_type(dtype) -> int:
    """TensorType value for a NumPy dtype (or dtype-like)."""
    dt = np.dtype(dtype)
    if dt not in _TENSOR_TYPES:
        raise ValueError(f"no TensorType for dtype {dt}; supported: "
                         f"{sorted(str(d) for d in _TENSOR_TYPES)}")
    return _TENSOR_TYPES[dt]


def builtin_code(name: str) -> int:
    """BuiltinOperator value for an op name such as "CONV_2D"."""
    code = getattr(fb.BuiltinOperator, name, None)
    if not isinstance(code, int):
        raise ValueError(f"unknown builtin operator {name!r}")
    return code


def make_options(table: str, fields: Mapping[str, object] | None):
    """An instance of `<table>T` with the given snake_case fields set (the converter's writer
    builds its options the same way)."""
    return options_object(table, dict(fields or {}))


def _quantization(quant: Mapping[str, object] | None):
    if quant is None:
        return None
    unknown = set(quant) - {"scale", "zero_point", "quantized_dimension", "min", "max"}
    if unknown:
        raise ValueError(f"unknown quantization keys {sorted(unknown)}")
    q = fb.QuantizationParametersT()
    if "scale" in quant:
        q.scale = [float(s) for s in np.atleast_1d(quant["scale"])]
    if "zero_point" in quant:
        q.zeroPoint = [int(z) for z in np.atleast_1d(quant["zero_point"])]
    if "min" in quant:
        q.min = [float(v) for v in np.atleast_1d(quant["min"])]
    if "max" in quant:
        q.max = [float(v) for v in np.atleast_1d(quant["max"])]
    q.quantizedDimension = int(quant.get("quantized_dimension", 0))
    return q


class ModelBuilder:
    """Accumulates tensors, ops and signatures of a single-subgraph model."""

    def __init__(self, description: str = "litert test model"):
        self.description = description
        self._tensors: list = []
        self._buffers: list = [_AlignedBufferT()]   # buffer 0: empty sentinel
        self._opcodes: list = []
        self._opcode_index: dict = {}
        self._operators: list = []
        self._inputs: list[int] = []
        self._outputs: list[int] = []
        self._signatures: list = []
        self._metadata: list = []

    # -- tensors ---------------------------------------------------------

    def tensor(self, name: str, shape: Sequence[int], dtype=np.float32, *,
               quant: Mapping[str, object] | None = None,
               shape_signature: Sequence[int] | None = None,
               is_variable: bool = False, buffer: int = 0) -> int:
        """Add a tensor without data (activation, output) and return its index."""
        t = fb.TensorT()
        t.name = name
        t.shape = [int(d) for d in shape]
        t.type = tensor_type(dtype)
        t.buffer = buffer
        t.quantization = _quantization(quant)
        t.isVariable = bool(is_variable)
        if shape_signature is not None:
            t.shapeSignature = [int(d) for d in shape_signature]
        self._tensors.append(t)
        return len(self._tensors) - 1

    def input(self, name: str, shape: Sequence[int], dtype=np.float32, **kwargs) -> int:
        """Add a graph input tensor (inputs keep the order of these calls)."""
        index = self.tensor(name, shape, dtype, **kwargs)
        self._inputs.append(index)
        return index

    def constant(self, name: str, data, dtype=None, *,
                 quant: Mapping[str, object] | None = None,
                 shape: Sequence[int] | None = None) -> int:
        """Add a constant tensor whose data lives in its own buffer.

        `data` is converted with np.asarray(data, dtype); the stored bytes are
        little-endian, row-major.  `shape` overrides the array's shape (same
        element count), e.g. to store a scalar as shape [].
        """
        arr = np.asarray(data, dtype=dtype)
        if shape is not None:
            arr = arr.reshape([int(d) for d in shape])
        # ascontiguousarray makes 0-d arrays 1-d: restore the shape so scalars stay rank 0.
        arr = np.ascontiguousarray(
            arr.astype(arr.dtype.newbyteorder("<"), copy=False)).reshape(arr.shape)
        buf = _AlignedBufferT()
        buf.data = arr.tobytes()
        self._buffers.append(buf)
        return self.tensor(name, arr.shape, arr.dtype, quant=quant,
                           buffer=len(self._buffers) - 1)

    def output(self, *indices: int) -> None:
        """Mark tensors as graph outputs (in call order)."""
        self._outputs.extend(int(i) for i in indices)

    # -- operators -------------------------------------------------------

    def opcode(self, name: str, version: int = 1) -> int:
        """Index of the operator code for `name`, adding it if new.

        Builtin names ("ADD") map to BuiltinOperator; any other name becomes a
        CUSTOM op with that custom_code.
        """
        custom_code = None
        if isinstance(getattr(fb.BuiltinOperator, name, None), int):
            code = builtin_code(name)
        else:
            code, custom_code = fb.BuiltinOperator.CUSTOM, name
        key = (code, custom_code, version)
        if key not in self._opcode_index:
            oc = fb.OperatorCodeT()
            # Old readers only see the byte-wide field; 127 tells them to
            # consult builtin_code.
            oc.deprecatedBuiltinCode = min(code, fb.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES)
            oc.builtinCode = code
            oc.customCode = custom_code
            oc.version = version
            self._opcode_index[key] = len(self._opcodes)
            self._opcodes.append(oc)
        return self._opcode_index[key]

    def op(self, name: str, inputs: Iterable[int], outputs: Iterable[int],
           options_table: str | None = None,
           options: Mapping[str, object] | None = None, *,
           version: int = 1, custom_options: bytes | None = None,
           intermediates: Iterable[int] | None = None) -> int:
        """Append an operator and return its index in the subgraph.

        inputs/outputs are tensor indices (-1 for an omitted optional input).
        options_table names a BuiltinOptions member ("AddOptions"); options
        gives its snake_case fields (ints, floats, bools, lists of ints).
        """
        o = fb.OperatorT()
        o.opcodeIndex = self.opcode(name, version)
        o.inputs = [int(i) for i in inputs]
        o.outputs = [int(i) for i in outputs]
        if options_table is not None:
            o.builtinOptionsType = getattr(fb.BuiltinOptions, options_table, None)
            o.builtinOptions = make_options(options_table, options)
        elif options:
            raise ValueError("options given without an options table name")
        if custom_options is not None:
            o.customOptions = list(bytes(custom_options))
            o.customOptionsFormat = fb.CustomOptionsFormat.FLEXBUFFERS
        if intermediates is not None:
            o.intermediates = [int(i) for i in intermediates]
        self._operators.append(o)
        return len(self._operators) - 1

    # -- model-level extras ----------------------------------------------

    def signature(self, key: str, inputs: Mapping[str, int],
                  outputs: Mapping[str, int]) -> None:
        """Add a SignatureDef mapping public names to tensor indices."""
        sig = fb.SignatureDefT()
        sig.signatureKey = key
        sig.subgraphIndex = 0
        sig.inputs, sig.outputs = [], []
        for target, mapping in ((sig.inputs, inputs), (sig.outputs, outputs)):
            for name, index in mapping.items():
                tm = fb.TensorMapT()
                tm.name = name
                tm.tensorIndex = int(index)
                target.append(tm)
        self._signatures.append(sig)

    def metadata(self, name: str, data: bytes) -> None:
        """Attach a named metadata blob (stored in its own buffer)."""
        buf = _AlignedBufferT()
        buf.data = bytes(data)
        self._buffers.append(buf)
        md = fb.MetadataT()
        md.name = name
        md.buffer = len(self._buffers) - 1
        self._metadata.append(md)

    def build(self) -> bytes:
        """Serialize the model to .tflite bytes."""
        sg = fb.SubGraphT()
        sg.name = "main"
        sg.tensors = self._tensors
        sg.inputs = list(self._inputs)
        sg.outputs = list(self._outputs)
        sg.operators = self._operators
        model = fb.ModelT()
        model.version = 3
        model.description = self.description
        model.operatorCodes = self._opcodes
        model.subgraphs = [sg]
        model.buffers = self._buffers
        if self._signatures:
            model.signatureDefs = self._signatures
        if self._metadata:
            model.metadata = self._metadata
        return serialize(model)


def serialize(model) -> bytes:
    """Pack a litert_schema.ModelT into .tflite bytes.

    Buffer data vectors are written 16-byte aligned (buffers of type BufferT
    are packed as _AlignedBufferT), so models read with the object API and
    written back keep their constants aligned.
    """
    for buf in model.buffers or []:
        if type(buf) is fb.BufferT:
            buf.__class__ = _AlignedBufferT
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=fb.FILE_IDENTIFIER)
    return bytes(builder.Output())

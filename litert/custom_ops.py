"""Custom ops written in Python: implementations of a model's non-builtin ops, by name.

    class Double(litert.CustomOp):
        def prepare(self, node):             # at allocate_tensors(): the output shapes
            return [node.inputs[0].shape]
        def invoke(self, node):              # at invoke(): NumPy views of the tensors
            node.outputs[0][...] = node.inputs[0] * 2

    interp = litert.Interpreter(model_path="m.tflite", custom_ops={"Double": Double()})

prepare(node) sees `node.inputs` as TensorSpec (shape, dtype, quantization and, for constant
inputs, their value) and `node.outputs` as TensorSpec of the file's output types; it returns
one shape per output. invoke(node) sees `node.inputs` as read-only NumPy arrays and
`node.outputs` as writable ones, valid during the call only. `node.options` holds the
operator's custom_options bytes. An exception raised by either method fails the call
(allocate_tensors() or invoke()) with a RuntimeError naming the node and carrying the
exception's message.

The C side calls these through cffi callbacks (lt_interpreter_add_custom_op in litert.h)."""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from ._native import ffi, lib, string


class CustomOp:
    """Base class of Python custom ops (see the module's documentation)."""

    def prepare(self, node: "CustomNode") -> Sequence[Sequence[int]]:
        raise NotImplementedError("a custom op must define prepare(node) -> output shapes")

    def invoke(self, node: "CustomNode") -> None:
        raise NotImplementedError("a custom op must define invoke(node)")


@dataclass(frozen=True)
class TensorSpec:
    """What prepare() knows of a tensor."""
    name: str
    shape: tuple
    dtype: Any
    quantization: tuple          # (scale, zero_point) per tensor, (0.0, 0) when not quantized
    value: Optional[np.ndarray]  # constant inputs only


@dataclass
class CustomNode:
    """The node a callback runs for."""
    name: str
    index: int
    options: bytes
    inputs: list
    outputs: list


def _numpy_dtype(lt_type):
    from .interpreter import _NUMPY_TYPE  # the one table of element types

    return _NUMPY_TYPE.get(lt_type)


def _spec(info, data) -> TensorSpec:
    shape = tuple(info.dims[d] for d in range(info.rank))
    dtype = _numpy_dtype(info.type)
    quant = (float(info.quant_scales[0]), int(info.quant_zero_points[0])) \
        if info.quant_count >= 1 else (0.0, 0)
    value = None
    if data != ffi.NULL and info.is_constant and dtype is not None:
        value = np.frombuffer(ffi.buffer(data, info.bytes), dtype=dtype).reshape(shape).copy()
    return TensorSpec(string(info.name), shape, dtype, quant, value)


def _array(info, data, writable):
    dtype = _numpy_dtype(info.type)
    shape = tuple(info.dims[d] for d in range(info.rank))
    if dtype is None:
        raise TypeError(f"tensor {string(info.name)!r} has an element type NumPy cannot hold")
    if info.bytes == 0 or data == ffi.NULL:
        return np.zeros(shape, dtype)
    array = np.frombuffer(ffi.buffer(data, info.bytes), dtype=dtype).reshape(shape)
    if not writable:
        array.flags.writeable = False
    return array


def _node(c_node, at_invoke):
    size = ffi.new("size_t *")
    options = lib.lt_custom_node_options(c_node, size)
    info = ffi.new("lt_tensor_info *")
    in_data = ffi.new("const void **")
    out_data = ffi.new("void **")
    inputs, outputs = [], []
    for i in range(lib.lt_custom_node_input_count(c_node)):
        if lib.lt_custom_node_input(c_node, i, info, in_data) != lib.LT_OK:
            inputs.append(None)  # omitted optional input
            continue
        inputs.append(_array(info, in_data[0], False) if at_invoke else _spec(info, in_data[0]))
    for i in range(lib.lt_custom_node_output_count(c_node)):
        lib.lt_custom_node_output(c_node, i, info, out_data)
        outputs.append(_array(info, out_data[0], True) if at_invoke else _spec(info, ffi.NULL))
    return CustomNode(string(lib.lt_custom_node_name(c_node)), lib.lt_custom_node_index(c_node),
                      bytes(ffi.buffer(options, size[0])) if size[0] else b"", inputs, outputs)


def _fail(c_node, what, exc):
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    lib.lt_custom_node_error(c_node, b"Python %s raised %s", ffi.new("char[]", what.encode()),
                             ffi.new("char[]", message.encode("utf-8", "replace")))
    return lib.LT_ERROR


class _Registration:
    """The cffi callbacks of one Python op; kept alive as long as the interpreter."""

    def __init__(self, name, op):
        self.name = name
        self.op = op
        self.prepare_cb = ffi.callback("lt_status(lt_custom_node *)", self._prepare)
        self.invoke_cb = ffi.callback("lt_status(lt_custom_node *)", self._invoke)
        self.c_op = ffi.new("lt_custom_op *")
        self.c_op.prepare = self.prepare_cb
        self.c_op.invoke = self.invoke_cb

    def _prepare(self, c_node):
        try:
            node = _node(c_node, at_invoke=False)
            shapes = list(self.op.prepare(node))
            if len(shapes) != len(node.outputs):
                raise ValueError(f"prepare returned {len(shapes)} shapes for "
                                 f"{len(node.outputs)} outputs")
            for i, shape in enumerate(shapes):
                dims = [int(d) for d in shape]
                if lib.lt_custom_node_set_output_shape(c_node, i, ffi.new("int32_t[]", dims),
                                                       len(dims)) != lib.LT_OK:
                    return lib.LT_ERROR  # the C side recorded why
            return lib.LT_OK
        except Exception as exc:  # noqa: BLE001 - reported through the C error
            return _fail(c_node, f"{type(self.op).__name__}.prepare", exc)

    def _invoke(self, c_node):
        try:
            self.op.invoke(_node(c_node, at_invoke=True))
            return lib.LT_OK
        except Exception as exc:  # noqa: BLE001 - reported through the C error
            return _fail(c_node, f"{type(self.op).__name__}.invoke", exc)


def register(interp, custom_ops) -> list:
    """Registers {name: CustomOp} on a native interpreter; returns what must stay alive."""
    keep = []
    if not custom_ops:
        return keep
    if not isinstance(custom_ops, dict):
        raise ValueError(f"custom_ops must be a dict of name -> CustomOp, got "
                         f"{type(custom_ops).__name__}")
    for name, op in custom_ops.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"custom op names must be non-empty strings, got {name!r}")
        if not (callable(getattr(op, "prepare", None)) and callable(getattr(op, "invoke", None))):
            raise ValueError(f"custom op {name!r} must have prepare(node) and invoke(node) "
                             f"methods (subclass litert.CustomOp); got {type(op).__name__}")
        reg = _Registration(name, op)
        if lib.lt_interpreter_add_custom_op(interp, name.encode(), reg.c_op) != lib.LT_OK:
            raise ValueError(f"could not register custom op {name!r}: "
                             f"{string(lib.lt_interpreter_error(interp))}")
        keep.append(reg)
    return keep

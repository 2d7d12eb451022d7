"""The converter's intermediate representation: a graph of TensorFlow Lite builtin ops over
tensors, built by the layer emitters, rewritten by the passes and serialized by the writer.

Shapes follow TensorFlow Lite's convention: `shape` is the static shape with a dynamic batch
dimension stored as 1, and `signature` keeps -1 for every dimension that is dynamic."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np


@dataclass(eq=False)
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    data: Optional[np.ndarray] = None          # constant when not None (shape == data.shape)
    signature: Optional[tuple[int, ...]] = None  # -1 marks dynamic dimensions; None: static
    quant: Optional[dict[str, Any]] = None       # scale / zero_point / quantized_dimension
    # Sparse storage (converter/prune/sparse_format.py): traversal_order / block_map /
    # dim_metadata; `data` then holds only the stored values (1-D), `shape` the dense shape.
    sparsity: Optional[dict[str, Any]] = None

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def rank(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        kind = "const " if self.is_constant else ""
        return f"<{kind}Tensor {self.name!r} {list(self.shape)} {np.dtype(self.dtype).name}>"


@dataclass(eq=False)
class Op:
    kind: str                               # BuiltinOperator name, e.g. "CONV_2D"
    inputs: list[Optional[Tensor]]          # None: an omitted optional input (-1 in the file)
    outputs: list[Tensor]
    options_table: Optional[str] = None     # BuiltinOptions member, e.g. "Conv2DOptions"
    options: dict[str, Any] = field(default_factory=dict)  # snake_case fields of that table
    layer: Optional[str] = None             # Keras layer that emitted the op (for reports)

    def __repr__(self) -> str:
        ins = ", ".join(t.name if t is not None else "-" for t in self.inputs)
        outs = ", ".join(t.name for t in self.outputs)
        return f"<Op {self.kind}({ins}) -> {outs}>"


class Graph:
    """Tensors and ops in execution order, with the model's inputs and outputs."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.inputs: list[Tensor] = []
        self.outputs: list[Tensor] = []
        # Names of inputs/outputs in the serving signature (Keras input / output names).
        self.input_names: list[str] = []
        self.output_names: list[str] = []
        self._names: set[str] = set()

    # -- naming ---------------------------------------------------------------------------
    def unique_name(self, base: str) -> str:
        """`base`, or `base_1`, `base_2`, ... so that every tensor name is unique."""
        name, n = base, 0
        while name in self._names:
            n += 1
            name = f"{base}_{n}"
        self._names.add(name)
        return name

    # -- tensors --------------------------------------------------------------------------
    def tensor(self, name: str, shape: Sequence[int], dtype=np.float32,
               signature: Optional[Sequence[int]] = None) -> Tensor:
        """A new non-constant tensor (an op output or a graph input)."""
        return Tensor(self.unique_name(name), tuple(int(d) for d in shape), np.dtype(dtype),
                      signature=None if signature is None else tuple(int(d) for d in signature))

    def constant(self, name: str, value, dtype=None) -> Tensor:
        """A new constant tensor holding a copy of `value`."""
        data = np.array(value, dtype=dtype, copy=True)
        if data.dtype == np.float64:
            data = data.astype(np.float32)
        return Tensor(self.unique_name(name), tuple(data.shape), data.dtype, data=data)

    # -- ops ------------------------------------------------------------------------------
    def add_op(self, kind: str, inputs: Sequence[Optional[Tensor]], outputs: Sequence[Tensor],
               options_table: Optional[str] = None, layer: Optional[str] = None,
               **options: Any) -> Op:
        op = Op(kind, list(inputs), list(outputs), options_table, dict(options), layer)
        self.ops.append(op)
        return op

    # -- queries used by the passes --------------------------------------------------------
    def consumers(self, tensor: Tensor) -> list[Op]:
        return [op for op in self.ops if any(t is tensor for t in op.inputs)]

    def producer(self, tensor: Tensor) -> Optional[Op]:
        for op in self.ops:
            if any(t is tensor for t in op.outputs):
                return op
        return None

    def is_graph_output(self, tensor: Tensor) -> bool:
        return any(t is tensor for t in self.outputs)

    def replace_uses(self, old: Tensor, new: Tensor) -> None:
        """Makes every reader of `old` (ops and graph outputs) read `new` instead."""
        for op in self.ops:
            op.inputs = [new if t is old else t for t in op.inputs]
        self.outputs = [new if t is old else t for t in self.outputs]

    def tensors(self) -> list[Tensor]:
        """Every tensor in first-use order: graph inputs, then op inputs/outputs."""
        seen: dict[int, Tensor] = {}
        for t in self.inputs:
            seen.setdefault(id(t), t)
        for op in self.ops:
            for t in [*op.inputs, *op.outputs]:
                if t is not None:
                    seen.setdefault(id(t), t)
        for t in self.outputs:
            seen.setdefault(id(t), t)
        return list(seen.values())

"""Custom ops implemented by the user (litert.CustomOp over lt_interpreter_add_custom_op):
results against NumPy and against TensorFlow Lite running the builtin op the custom one
replaces, options and constants reaching the op, errors naming the node, and registered ops
serving the subgraphs of a WHILE loop."""
import numpy as np
import pytest

import litert
from tflite_builder import ModelBuilder

F32 = np.float32


class ScaleShift(litert.CustomOp):
    """y = x * scale + shift, scale from the op's options (one float32), shift a constant
    second input: exercises options and constant values at prepare."""

    def __init__(self):
        self.prepared = []

    def prepare(self, node):
        assert node.inputs[1].value is not None, "the constant shift is visible at prepare"
        self.scale = float(np.frombuffer(node.options, F32)[0])
        self.shift = node.inputs[1].value
        self.prepared.append((node.name, node.index, node.inputs[0].shape))
        return [node.inputs[0].shape]

    def invoke(self, node):
        node.outputs[0][...] = node.inputs[0] * F32(self.scale) + self.shift


def _scale_shift_model(shape=(2, 3), scale=2.5, op_name="ScaleShift"):
    mb = ModelBuilder()
    x = mb.input("x", list(shape), F32)
    shift = mb.constant("shift", np.arange(shape[-1], dtype=F32))
    y = mb.tensor("y", list(shape), F32)
    z = mb.tensor("z", list(shape), F32)
    mb.op("RELU", [x], [y])
    mb.op(op_name, [y, shift], [z], custom_options=np.asarray([scale], F32).tobytes())
    mb.output(z)
    return mb.build()


def _run(interp, *inputs):
    interp.allocate_tensors()
    for d, v in zip(interp.get_input_details(), inputs):
        interp.set_tensor(d["index"], v)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def test_python_custom_op_computes_with_options_and_constants():
    op = ScaleShift()
    interp = litert.Interpreter(model_content=_scale_shift_model(), custom_ops={"ScaleShift": op})
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(F32)
    (z,) = _run(interp, x)
    np.testing.assert_array_equal(z, np.maximum(x, 0) * F32(2.5) + np.arange(3, dtype=F32))
    assert op.prepared == [("ScaleShift", 1, (2, 3))]


def test_custom_op_follows_a_resized_input():
    op = ScaleShift()
    interp = litert.Interpreter(model_content=_scale_shift_model(shape=(1, 3)),
                                custom_ops={"ScaleShift": op})
    interp.resize_tensor_input(0, [4, 3])
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(F32)
    (z,) = _run(interp, x)
    np.testing.assert_array_equal(z, np.maximum(x, 0) * F32(2.5) + np.arange(3, dtype=F32))
    assert op.prepared[-1][2] == (4, 3)


def test_unregistered_custom_op_fails_at_allocate_naming_it():
    interp = litert.Interpreter(model_content=_scale_shift_model())
    with pytest.raises(RuntimeError, match=r"node 1: custom op 'ScaleShift' is not supported"):
        interp.allocate_tensors()


class Broken(litert.CustomOp):
    def __init__(self, where):
        self.where = where

    def prepare(self, node):
        if self.where == "prepare":
            raise KeyError("no such table")
        if self.where == "shapes":
            return []
        return [node.inputs[0].shape]

    def invoke(self, node):
        raise ZeroDivisionError("the op divided by zero")


@pytest.mark.parametrize("where,match", [
    ("prepare", r"node 1 \(ScaleShift\): Python Broken.prepare raised KeyError: 'no such table'"),
    ("shapes", r"node 1 \(ScaleShift\): .*prepare returned 0 shapes for 1 outputs"),
    ("invoke", r"node 1 \(ScaleShift\): Python Broken.invoke raised ZeroDivisionError"),
])
def test_exceptions_in_a_custom_op_become_errors(where, match):
    interp = litert.Interpreter(model_content=_scale_shift_model(),
                                custom_ops={"ScaleShift": Broken(where)})
    with pytest.raises(RuntimeError, match=match):
        _run(interp, np.zeros((2, 3), F32))


def test_bad_registrations_are_refused():
    with pytest.raises(ValueError, match=r"must have prepare\(node\) and invoke\(node\)"):
        litert.Interpreter(model_content=_scale_shift_model(), custom_ops={"ScaleShift": 3})
    with pytest.raises(ValueError, match=r"non-empty strings"):
        litert.Interpreter(model_content=_scale_shift_model(), custom_ops={"": ScaleShift()})


class NegativeShape(litert.CustomOp):
    def prepare(self, node):
        return [(2, -3)]

    def invoke(self, node):
        pass


def test_invalid_output_shape_from_prepare():
    interp = litert.Interpreter(model_content=_scale_shift_model(),
                                custom_ops={"ScaleShift": NegativeShape()})
    with pytest.raises(RuntimeError, match=r"output 0: dimension 1 is negative"):
        interp.allocate_tensors()


# ---- Against TensorFlow Lite: a builtin op rewritten as a custom one ----------------------

class Multiply(litert.CustomOp):
    """MUL without options: what TensorFlow Lite's MUL computes, in NumPy (float32)."""

    def prepare(self, node):
        return [np.broadcast_shapes(node.inputs[0].shape, node.inputs[1].shape)]

    def invoke(self, node):
        np.multiply(node.inputs[0], node.inputs[1], out=node.outputs[0])


def _as_custom(model, builtin, custom_name):
    """The model with every `builtin` op (in every subgraph) turned into custom op
    `custom_name` with the same inputs and outputs."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.CUSTOM
    code.customCode = custom_name
    code.version = 1
    m.operatorCodes.append(code)
    target = getattr(schema.BuiltinOperator, builtin)
    replaced = 0
    for sg in m.subgraphs:
        for op in sg.operators:
            oc = m.operatorCodes[op.opcodeIndex]
            if max(oc.builtinCode, oc.deprecatedBuiltinCode) == target:
                op.opcodeIndex = len(m.operatorCodes) - 1
                op.builtinOptionsType, op.builtinOptions = 0, None
                replaced += 1
    assert replaced, f"no {builtin} in the model"
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def test_custom_op_inside_a_while_body_matches_tflite():
    """A registered op serves the loop's body subgraph too; the result equals TensorFlow Lite
    running the original model with its builtin MUL."""
    from tf_op_models import convert, run_both, tf

    t = tf()

    def loop(x, n):
        return t.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, x * 1.5 + 1.0),
                            [t.constant(0), x])[1]

    original = convert(loop, [((2, 3), t.float32), ((), t.int32)], key="while-count")
    model = _as_custom(original, "MUL", "MyMul")
    x = np.random.default_rng(4).standard_normal((2, 3)).astype(F32)
    n = np.array(5, np.int32)
    _, theirs = run_both(original, [x, n])
    ours = _run(litert.Interpreter(model_content=model, custom_ops={"MyMul": Multiply()}), x, n)
    np.testing.assert_array_equal(ours[0], theirs[0])

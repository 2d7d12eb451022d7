"""Malformed model files give clear errors and never crash the process.

Corruptions are made from a valid file written by TensorFlow's converter: truncation, a wrong
identifier, offsets out of range, indices out of range (through TensorFlow's own generated
object API, so only the targeted field changes), and random byte mutations run against the
library built with AddressSanitizer and UBSan in a subprocess, where any memory error fails."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from litert import Interpreter

tf = pytest.importorskip("tensorflow")
import flatbuffers  # noqa: E402
from tensorflow.lite.python import schema_py_generated as tfl  # noqa: E402


@pytest.fixture(scope="module")
def mlp_bytes() -> bytes:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(6, activation="relu"),
                              keras.layers.Dense(3), keras.layers.Softmax()])
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def _edit(content: bytes, change) -> bytes:
    """Unpacks a model with TensorFlow's object API, applies `change`, packs it again."""
    model = tfl.ModelT.InitFromObj(tfl.Model.GetRootAsModel(content, 0))
    change(model)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _load_and_run(content: bytes):
    interp = Interpreter(model_content=content)
    interp.allocate_tensors()
    interp.invoke()


def test_reference_file_is_valid(mlp_bytes):
    _load_and_run(mlp_bytes)
    _load_and_run(_edit(mlp_bytes, lambda m: None))  # the round trip itself changes nothing


@pytest.mark.parametrize("content, message", [
    (b"", "too short"),
    (b"\x00" * 7, "too short"),
    (b"\x10\x00\x00\x00XXXX" + b"\x00" * 64, "TFL3"),
])
def test_not_a_model(content, message):
    with pytest.raises(ValueError, match=message):
        Interpreter(model_content=content)


def test_wrong_identifier(mlp_bytes):
    bad = mlp_bytes[:4] + b"TFL2" + mlp_bytes[8:]
    with pytest.raises(ValueError, match="TFL3"):
        Interpreter(model_content=bad)


def test_root_offset_out_of_range(mlp_bytes):
    bad = (len(mlp_bytes) + 100).to_bytes(4, "little") + mlp_bytes[4:]
    with pytest.raises(ValueError, match="out of bounds"):
        Interpreter(model_content=bad)


def test_every_truncation_is_handled(mlp_bytes):
    failures = 0
    for length in range(0, len(mlp_bytes), 7):
        try:
            _load_and_run(mlp_bytes[:length])
        except (ValueError, RuntimeError):
            failures += 1
    # Cutting a flatbuffer anywhere loses data that the root refers to.
    assert failures == len(range(0, len(mlp_bytes), 7))


def _set_op_input(index):
    def change(m):
        op = m.subgraphs[0].operators[0]
        op.inputs = [index] + list(op.inputs[1:])
    return change


def _set_opcode_index(m):
    m.subgraphs[0].operators[0].opcodeIndex = 57


def _set_buffer_index(m):
    m.subgraphs[0].tensors[1].buffer = 10_000


def _set_graph_input(m):
    m.subgraphs[0].inputs = [4242] + list(m.subgraphs[0].inputs[1:])


def _set_signature_tensor(m):
    m.signatureDefs[0].inputs[0].tensorIndex = 999


def _shrink_constant(m):
    for t in m.subgraphs[0].tensors:
        if m.buffers[t.buffer].data is not None and len(m.buffers[t.buffer].data) > 8:
            m.buffers[t.buffer].data = m.buffers[t.buffer].data[:5]
            return


def _huge_rank(m):
    m.subgraphs[0].tensors[0].shape = [1] * 40


def _negative_dim(m):
    m.subgraphs[0].tensors[0].shape = [1, -5]


@pytest.mark.parametrize("change, message", [
    (_set_op_input(1000), "tensor index 1000 out of range"),
    (_set_op_input(-7), "tensor index -7 out of range"),
    (_set_opcode_index, "opcode index 57 out of range"),
    (_set_buffer_index, "buffer index 10000 out of range"),
    (_set_graph_input, "tensor index 4242 out of range"),
    (_set_signature_tensor, "tensor index 999 out of range"),
    (_shrink_constant, "constant data has 5 bytes"),
    (_huge_rank, "rank 40 exceeds"),
    (_negative_dim, "negative dimension"),
])
def test_bad_field_gives_clear_error(mlp_bytes, change, message):
    with pytest.raises(ValueError, match=message):
        Interpreter(model_content=_edit(mlp_bytes, change))


def test_op_writing_a_constant_is_refused(mlp_bytes):
    def change(m):
        g = m.subgraphs[0]
        const = next(i for i, t in enumerate(g.tensors) if m.buffers[t.buffer].data is not None)
        g.operators[0].outputs = [const]
    with pytest.raises(ValueError, match="is a constant"):
        Interpreter(model_content=_edit(mlp_bytes, change))


def test_unsupported_op_fails_at_allocate_naming_it(mlp_bytes):
    def change(m):
        m.operatorCodes[m.subgraphs[0].operators[0].opcodeIndex].builtinCode = tfl.BuiltinOperator.SVDF
        m.operatorCodes[m.subgraphs[0].operators[0].opcodeIndex].deprecatedBuiltinCode = tfl.BuiltinOperator.SVDF
    interp = Interpreter(model_content=_edit(mlp_bytes, change))
    with pytest.raises(RuntimeError, match=r"node 0: op SVDF .* not supported"):
        interp.allocate_tensors()


def test_huge_input_shape_fails_cleanly(mlp_bytes):
    interp = Interpreter(model_content=mlp_bytes)
    index = interp.get_input_details()[0]["index"]
    interp.resize_tensor_input(index, [1 << 30, 1 << 20])  # 4 PiB of float32
    with pytest.raises((RuntimeError, ValueError)):
        interp.allocate_tensors()
    interp.resize_tensor_input(index, [2, 8])  # and the interpreter is still usable
    interp.allocate_tensors()
    interp.set_tensor(index, np.ones((2, 8), np.float32))
    interp.invoke()


MUTATION_SCRIPT = textwrap.dedent("""
    import random, sys
    from litert import Interpreter
    content = open(sys.argv[1], "rb").read()
    rng = random.Random(int(sys.argv[2]))
    loaded = 0
    for trial in range(int(sys.argv[3])):
        data = bytearray(content)
        for _ in range(rng.choice([1, 2, 4, 16])):
            pos = rng.randrange(len(data))
            data[pos] = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256)])
        try:
            it = Interpreter(model_content=bytes(data))
            it.allocate_tensors()
            it.invoke()
            for d in it.get_output_details():
                it.get_tensor(d["index"])
            loaded += 1
        except (ValueError, RuntimeError):
            pass
    print("ran", loaded)
""")


def test_random_mutations_under_sanitizers(mlp_bytes, sanitized_build_dir, tmp_path):
    from sanitized_build import asan_runtime

    model = tmp_path / "mlp.tflite"
    model.write_bytes(mlp_bytes)
    script = tmp_path / "mutate.py"
    script.write_text(MUTATION_SCRIPT)
    env = dict(os.environ,
               LD_PRELOAD=asan_runtime(),
               LITERT_LIBRARY=str(sanitized_build_dir / "native" / "liblitert.so"),
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    result = subprocess.run([sys.executable, str(script), str(model), "1234", "1500"],
                            capture_output=True, text=True, env=env, timeout=600,
                            cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr[-6000:]
    assert "ran" in result.stdout

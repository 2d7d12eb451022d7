"""The litert-run command-line tool: what it prints, the values it computes and how it fails.

Models are small graphs written with tests/tflite_builder.py (and one converted by TensorFlow
from Keras, with the dynamic batch dimension that real converted files carry). The tool's
--output-npy values are checked against NumPy, TensorFlow Lite's interpreter and our own
Python binding on the same inputs. Malformed .npy files are also run against the build made
with AddressSanitizer and UBSan, where any memory error fails the test.

Where the binary is looked for, in order:
  1. LITERT_RUN: a path to a litert-run from a development build (a wrong path fails).
  2. The installed package: litert/bin/litert-run, where `pip install .` puts it (searched in
     every directory of the `litert` package, then in site-packages).
"""
from __future__ import annotations

import os
import re
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tflite_builder import ModelBuilder


def _run(binary: Path, *args, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def _ok(binary: Path, *args) -> str:
    result = _run(binary, *args)
    assert result.returncode == 0, f"litert-run failed: {result.stderr}"
    return result.stdout


def _fails(binary: Path, *args) -> str:
    """Runs a call that must fail cleanly: non-zero exit (not a signal) and one error line."""
    result = _run(binary, *args)
    assert result.returncode > 0, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("litert-run: error: "), result.stderr
    return lines[0]


# ---- models ------------------------------------------------------------------------------

RNG = np.random.default_rng(1234)
FC_W = RNG.uniform(-1, 1, (4, 8)).astype(np.float32)
FC_B = RNG.uniform(-1, 1, (4,)).astype(np.float32)


def _fc_model() -> bytes:
    """y = relu(x @ W.T + b), x: [1, 8] float32 (fixed shape), y: [1, 4]."""
    b = ModelBuilder()
    x = b.input("x", [1, 8], np.float32)
    w = b.constant("w", FC_W)
    bias = b.constant("b", FC_B)
    y = b.tensor("y", [1, 4], np.float32)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], "FullyConnectedOptions",
         dict(fused_activation_function=1))
    b.output(y)
    return b.build()


def _add_model() -> bytes:
    """out = a + b with two inputs whose batch dimension is dynamic (signature [-1, 4])."""
    b = ModelBuilder()
    a = b.input("a", [1, 4], np.float32, shape_signature=[-1, 4])
    c = b.input("b", [1, 4], np.float32, shape_signature=[-1, 4])
    out = b.tensor("sum", [1, 4], np.float32, shape_signature=[-1, 4])
    b.op("ADD", [a, c], [out], "AddOptions", dict(fused_activation_function=0))
    b.output(out)
    return b.build()


def _identity_model(dtype, n: int) -> bytes:
    """out = reshape(x) with the same shape: the output shows the tool's generated inputs."""
    b = ModelBuilder()
    x = b.input("x", [1, n], dtype)
    shape = b.constant("shape", np.array([1, n], np.int32))
    out = b.tensor("out", [1, n], dtype)
    b.op("RESHAPE", [x, shape], [out], "ReshapeOptions", dict(new_shape=[1, n]))
    b.output(out)
    return b.build()


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("litert_run_models")
    files = {"fc": _fc_model(), "add": _add_model(),
             "id_f32": _identity_model(np.float32, 256), "id_i8": _identity_model(np.int8, 256),
             "id_u8": _identity_model(np.uint8, 256), "id_i32": _identity_model(np.int32, 256)}
    paths = {}
    for name, content in files.items():
        paths[name] = root / f"{name}.tflite"
        paths[name].write_bytes(content)
    return paths


def _reference(content_path: Path, inputs: list) -> list:
    """Outputs of TensorFlow Lite's interpreter, resizing inputs to the arrays' shapes."""
    from ai_edge_litert.interpreter import Interpreter as ReferenceInterpreter

    interp = ReferenceInterpreter(model_path=str(content_path))
    for detail, x in zip(interp.get_input_details(), inputs):
        if tuple(detail["shape"]) != x.shape:
            interp.resize_tensor_input(detail["index"], x.shape)
    interp.allocate_tensors()
    for detail, x in zip(interp.get_input_details(), inputs):
        interp.set_tensor(detail["index"], x)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


# ---- the report --------------------------------------------------------------------------

LINE_TENSOR = re.compile(r"^(input|output) (\d+): '(.*)' (\w+) \[([0-9, ]*)\]$")
LINE_LATENCY = re.compile(r"^latency (min|median|mean): (\d+\.\d+) ms$")


def _parse_report(stdout: str) -> dict:
    report = {"input": {}, "output": {}, "latency": {}}
    for line in stdout.splitlines():
        if m := LINE_TENSOR.match(line):
            dims = [int(d) for d in m.group(5).split(",") if d.strip()]
            report[m.group(1)][int(m.group(2))] = (m.group(3), m.group(4), dims)
        elif m := LINE_LATENCY.match(line):
            report["latency"][m.group(1)] = float(m.group(2))
        elif ": " in line:
            key, value = line.split(": ", 1)
            report[key] = value
    return report


def test_help_prints_usage(litert_run):
    for flag in ("--help", "-h"):
        out = _ok(litert_run, flag)
        assert out.startswith("usage: litert-run MODEL.tflite")
        for option in ("--input", "--runs", "--warmup", "--threads", "--output-npy"):
            assert option in out


def test_report_lists_model_tensors_and_latency(litert_run, models):
    out = _ok(litert_run, models["fc"], "--runs", 7, "--warmup", 2, "--threads", 2)
    report = _parse_report(out)
    assert report["model"] == str(models["fc"])
    assert report["threads"] == "2"
    assert int(report["arena bytes"]) >= 0
    assert report["input"] == {0: ("x", "float32", [1, 8])}
    assert report["output"] == {0: ("y", "float32", [1, 4])}
    assert report["runs"] == "7 timed, 2 warmup"
    lat = report["latency"]
    assert set(lat) == {"min", "median", "mean"}
    assert 0 <= lat["min"] <= lat["median"] and lat["min"] <= lat["mean"]
    # Latency lines come after the tensor lines, as a reader expects.
    lines = out.splitlines()
    assert lines.index("output 0: 'y' float32 [1, 4]") < min(
        i for i, line in enumerate(lines) if line.startswith("latency"))


def test_output_npy_matches_numpy_and_tflite(litert_run, models, tmp_path):
    x = np.random.default_rng(5).uniform(-2, 2, (1, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out_path = tmp_path / "y.npy"
    _ok(litert_run, models["fc"], "--input", tmp_path / "x.npy", "--output-npy", out_path,
        "--runs", 1)
    y = np.load(out_path)
    assert y.dtype == np.float32 and y.shape == (1, 4)
    # float32 dot products of length 8: only the summation order differs.
    np.testing.assert_allclose(y, np.maximum(x @ FC_W.T + FC_B, 0), rtol=1e-5, atol=1e-6)
    (reference,) = _reference(models["fc"], [x])
    np.testing.assert_allclose(y, reference, rtol=1e-5, atol=1e-6)
    assert np.any(y > 0), "relu output all zero: the comparison would be too weak"


def test_output_npy_equals_python_binding(litert_run, models, tmp_path):
    """Same runtime through two front ends, same input: bit-identical results."""
    litert = pytest.importorskip("litert")
    x = np.random.default_rng(6).uniform(-1, 1, (1, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    _ok(litert_run, models["fc"], "--input", tmp_path / "x.npy", "--output-npy",
        tmp_path / "y.npy", "--threads", 1, "--runs", 1)
    interp = litert.Interpreter(model_path=str(models["fc"]), num_threads=1)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    expected = interp.get_tensor(interp.get_output_details()[0]["index"])
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expected)


def test_two_inputs_resized_to_the_files_shapes(litert_run, models, tmp_path):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    out = _ok(litert_run, models["add"], "--input", tmp_path / "a.npy",
              f"--input={tmp_path / 'b.npy'}", "--output-npy", tmp_path / "sum.npy", "--runs", 2)
    report = _parse_report(out)
    assert report["input"] == {0: ("a", "float32", [3, 4]), 1: ("b", "float32", [3, 4])}
    assert report["output"] == {0: ("sum", "float32", [3, 4])}
    result = np.load(tmp_path / "sum.npy")
    np.testing.assert_array_equal(result, a + b)  # one float32 add per element: exact
    (reference,) = _reference(models["add"], [a, b])
    np.testing.assert_array_equal(result, reference)


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_reads_every_npy_format_version(litert_run, models, tmp_path, version):
    x = np.random.default_rng(8).uniform(-1, 1, (1, 8)).astype(np.float32)
    with open(tmp_path / "x.npy", "wb") as f:
        np.lib.format.write_array(f, x, version=version)
    _ok(litert_run, models["fc"], "--input", tmp_path / "x.npy", "--output-npy",
        tmp_path / "y.npy", "--runs", 1)
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), np.maximum(x @ FC_W.T + FC_B, 0),
                               rtol=1e-5, atol=1e-6)


def test_random_inputs_are_deterministic_and_in_range(litert_run, models, tmp_path):
    def generated(name):
        path = tmp_path / f"{name}.npy"
        _ok(litert_run, models[name], "--output-npy", path, "--runs", 1, "--warmup", 0)
        return np.load(path)

    f32 = generated("id_f32")
    assert f32.dtype == np.float32 and f32.shape == (1, 256)
    assert f32.min() >= -1 and f32.max() <= 1
    # 256 uniform draws: both halves of [-1, 1] well covered, values distinct.
    assert f32.min() < -0.5 and f32.max() > 0.5 and len(np.unique(f32)) == 256
    np.testing.assert_array_equal(f32, generated("id_f32"))  # same values on every run

    i8 = generated("id_i8")
    assert i8.dtype == np.int8 and i8.min() < -100 and i8.max() > 100  # full range
    u8 = generated("id_u8")
    assert u8.dtype == np.uint8 and u8.min() < 30 and u8.max() > 225
    i32 = generated("id_i32")
    assert i32.dtype == np.int32 and i32.min() >= 0 and i32.max() <= 7  # small range
    assert len(np.unique(i32)) == 8


def test_keras_model_with_dynamic_batch(litert_run, tmp_path):
    """A file from TensorFlow's converter: input [1, 6] with signature [-1, 6]; a batch of 5
    from a .npy file resizes it, and the result agrees with TensorFlow Lite."""
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(11)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="tanh"),
                              keras.layers.Dense(3)])
    path = tmp_path / "mlp.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    x = np.random.default_rng(9).standard_normal((5, 6)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out = _ok(litert_run, path, "--input", tmp_path / "x.npy", "--output-npy",
              tmp_path / "y.npy", "--runs", 2)
    report = _parse_report(out)
    assert report["input"][0][1:] == ("float32", [5, 6])
    assert report["output"][0][1:] == ("float32", [5, 3])
    (reference,) = _reference(path, [x])
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), reference, rtol=1e-5, atol=1e-6)


# ---- failures ----------------------------------------------------------------------------

def _npy_bytes(header: str, data: bytes, version: int = 1) -> bytes:
    h = header.encode()
    size = struct.pack("<H", len(h)) if version == 1 else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes([version, 0]) + size + h + data


def _hostile_npy_files(root: Path) -> dict:
    """Name -> (path, words the error must contain)."""
    good = (root / "good.npy")
    np.save(good, np.zeros((1, 8), np.float32))
    raw = good.read_bytes()
    fields = "'descr': '<f4', 'fortran_order': False"
    cases = {
        "truncated_data": (raw[:-3], ["truncated", "needs 32 bytes"]),
        "truncated_header": (raw[:40], ["truncated header"]),
        "empty": (b"", ["not a .npy file"]),
        "bad_magic": (b"PK\x03\x04" + raw[4:], ["not a .npy file"]),
        "version_9": (raw[:6] + b"\x09\x00" + raw[8:], ["version 9.0"]),
        "header_len_huge": (b"\x93NUMPY\x02\x00\xff\xff\xff\xff{", ["header length"]),
        "shape_overflow": (_npy_bytes("{%s, 'shape': (2147483647, 2147483647, 2147483647, "
                                      "2147483647), }\n" % fields, b"\0" * 4), ["too large"]),
        "dim_too_big": (_npy_bytes("{%s, 'shape': (99999999999,), }\n" % fields, b""),
                        ["exceeds"]),
        "negative_dim": (_npy_bytes("{%s, 'shape': (-1, 8), }\n" % fields, b""), ["shape"]),
        "missing_key": (_npy_bytes("{'descr': '<f4', 'shape': (1, 8), }\n", b"\0" * 32),
                        ["missing key 'fortran_order'"]),
        "unknown_key": (_npy_bytes("{%s, 'shape': (1, 8), 'x': 1}\n" % fields, b"\0" * 32),
                        ["unexpected key 'x'"]),
        "unterminated": (_npy_bytes("{'descr': '<f4", b""), ["unterminated"]),
        "big_endian": (_npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 8), }\n",
                                  b"\0" * 32), ["big-endian"]),
        "structured": (_npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, "
                                  "'shape': (1, 8), }\n", b"\0" * 32), ["structured"]),
        "fortran": (_npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 4), }\n",
                               b"\0" * 32), ["Fortran"]),
        "rank_9": (_npy_bytes("{%s, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }\n" % fields,
                              b"\0" * 4), ["more than 8"]),
        "trailing_bytes": (raw + b"\0", ["holds 33"]),
    }
    out = {}
    for name, (content, words) in cases.items():
        path = root / f"{name}.npy"
        path.write_bytes(content)
        out[name] = (path, words)
    return out


def test_hostile_npy_files_give_clear_errors(litert_run, models, tmp_path):
    for name, (path, words) in _hostile_npy_files(tmp_path).items():
        line = _fails(litert_run, models["fc"], "--input", path)
        assert str(path) in line, (name, line)
        for word in words:
            assert word in line, (name, line)


def test_hostile_npy_files_under_sanitizers(models, tmp_path, sanitized_build_dir):
    """The same files and random mutations of a valid one, against the ASan/UBSan build."""
    binary = sanitized_build_dir / "native" / "litert-run"
    assert binary.is_file(), f"sanitized build has no {binary}"
    files = [path for path, _ in _hostile_npy_files(tmp_path).values()]
    valid = bytearray((tmp_path / "good.npy").read_bytes())
    rng = np.random.default_rng(10)
    for i in range(60):
        content = bytearray(valid)
        for _ in range(int(rng.integers(1, 4))):
            pos = int(rng.integers(0, len(content)))
            kind = rng.integers(0, 3)
            if kind == 0:
                content[pos] = int(rng.integers(0, 256))
            elif kind == 1:
                del content[pos:pos + int(rng.integers(1, 16))]
            else:
                content[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 8))).astype(
                    np.uint8).tobytes()
        files.append(tmp_path / f"mutant_{i}.npy")
        files[-1].write_bytes(bytes(content))
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99",
               UBSAN_OPTIONS="halt_on_error=1:exitcode=99")
    for path in files:
        result = subprocess.run([str(binary), str(models["fc"]), "--input", str(path),
                                 "--runs", "1", "--warmup", "0"],
                                capture_output=True, text=True, timeout=60, env=env)
        assert result.returncode in (0, 1), (path.name, result.returncode, result.stderr[-3000:])
        if result.returncode == 1:
            assert result.stderr.startswith("litert-run: error: "), result.stderr


def test_missing_model_file(litert_run, tmp_path):
    missing = tmp_path / "nope.tflite"
    line = _fails(litert_run, missing)
    assert str(missing) in line


def test_garbage_model(litert_run, tmp_path):
    path = tmp_path / "garbage.tflite"
    path.write_bytes(np.random.default_rng(12).integers(0, 256, 4096).astype(np.uint8).tobytes())
    line = _fails(litert_run, path)
    assert "cannot load model" in line and str(path) in line


def test_wrong_shape_npy(litert_run, models, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((1, 9), np.float32))
    line = _fails(litert_run, models["fc"], "--input", tmp_path / "x.npy")
    assert "input 0 'x'" in line and "shape mismatch" in line
    assert "[1, 8]" in line and "[1, 9]" in line  # expected and got


def test_shape_outside_the_signature(litert_run, models, tmp_path):
    """Only the -1 dimension may change: a different inner size is refused."""
    np.save(tmp_path / "a.npy", np.zeros((2, 5), np.float32))
    np.save(tmp_path / "b.npy", np.zeros((2, 4), np.float32))
    line = _fails(litert_run, models["add"], "--input", tmp_path / "a.npy", "--input",
                  tmp_path / "b.npy")
    assert "input 0 'a'" in line and "[-1, 4]" in line and "[2, 5]" in line


def test_wrong_dtype_npy(litert_run, models, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((1, 8), np.int32))
    line = _fails(litert_run, models["fc"], "--input", tmp_path / "x.npy")
    assert "input 0 'x'" in line and "float32" in line and "int32" in line


def test_wrong_number_of_inputs(litert_run, models, tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((1, 4), np.float32))
    line = _fails(litert_run, models["add"], "--input", tmp_path / "a.npy")
    assert "2 inputs" in line and "1 --input" in line


def test_missing_npy_file(litert_run, models, tmp_path):
    line = _fails(litert_run, models["fc"], "--input", tmp_path / "absent.npy")
    assert "absent.npy" in line


@pytest.mark.parametrize("args, words", [
    ([], "no model"),
    (["--runs", "0"], "--runs"),
    (["--runs", "ten"], "--runs"),
    (["--warmup", "-1"], "--warmup"),
    (["--threads", "99999"], "--threads"),
    (["--runs"], "needs a value"),
    (["--bogus"], "unknown option '--bogus'"),
])
def test_bad_command_lines(litert_run, models, args, words):
    model = [] if words == "no model" else [models["fc"]]
    line = _fails(litert_run, *model, *args)
    assert words in line


def test_unwritable_output_npy(litert_run, models, tmp_path):
    line = _fails(litert_run, models["fc"], "--output-npy", tmp_path / "no_dir" / "y.npy")
    assert "--output-npy" in line and "y.npy" in line

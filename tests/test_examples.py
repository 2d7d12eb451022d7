"""The C example programs of native/examples (classify_file: model from a file; classify_embedded:
model compiled in, no heap) run from a CMake build, and what they print is compared with the
model computed in NumPy (make_model.reference) and with litert's Python interpreter on the same
input. Also checks that only alloc.c calls the C library's heap, which is what makes the
allocator hooks (and so the embedded mode's no-allocation promise) cover the whole runtime.

The build: the one LITERT_LIBRARY points into when it has the examples (a developer's
`cmake -B build`), else the session's ASan + UBSan build (tests/sanitized_build.py), so the
examples also run under the sanitizers.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from litert import Interpreter

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "native" / "examples"
MODEL = EXAMPLES / "model.tflite"
sys.path.insert(0, str(EXAMPLES))

import make_model  # noqa: E402

LINE = re.compile(r"^class (\d+): (-?\d+\.\d+)$", re.M)


@pytest.fixture(scope="module")
def build_dir(request) -> Path:
    lib = os.environ.get("LITERT_LIBRARY")
    if lib:
        native = Path(lib).resolve().parent
        if (native / "examples" / "classify_file").is_file():
            return native.parent
    return request.getfixturevalue("sanitized_build_dir")


@pytest.fixture(scope="module")
def examples_dir(build_dir) -> Path:
    return build_dir / "native" / "examples"


def run(program: Path, *args, expect_ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(program), *map(str, args)], capture_output=True, text=True,
                            timeout=60)
    if expect_ok:
        assert result.returncode == 0, result.stderr
    return result


def printed_scores(stdout: str) -> dict[int, float]:
    """The 'class K: V' lines, in printed order (dicts keep it)."""
    return {int(k): float(v) for k, v in LINE.findall(stdout)}


def litert_output(model: bytes, x: np.ndarray) -> np.ndarray:
    it = Interpreter(model_content=model)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]).ravel()


def check_top(scores: dict[int, float], want: np.ndarray, top: int, atol: float = 1.5e-6):
    """The printed scores are the `top` largest of `want`, largest first, each printed with six
    decimals (so within 5e-7 of the value, plus float32 rounding)."""
    assert len(scores) == top
    order = np.argsort(-want, kind="stable")[:top]
    assert list(scores) == [int(k) for k in order]
    got = np.array(list(scores.values()))
    np.testing.assert_allclose(got, want[order], rtol=0, atol=atol)


def test_classify_file_pattern(examples_dir):
    x = make_model.pattern((1, 8, 8, 1))
    want = make_model.reference(make_model.weights(), x)
    out = run(examples_dir / "classify_file", MODEL, "--top", 10).stdout
    assert "output 'probs' [1, 10] FLOAT32" in out
    check_top(printed_scores(out), want, 10)
    check_top(printed_scores(out), litert_output(MODEL.read_bytes(), x), 10)


def test_committed_model_and_expected_values_are_current():
    """model.tflite and expected_pattern.txt are what make_model.py writes today."""
    w = make_model.weights()
    assert make_model.build_model(w) == MODEL.read_bytes()
    want = make_model.reference(w, make_model.pattern((1, 8, 8, 1)))
    text = (EXAMPLES / "expected_pattern.txt").read_text()
    assert text == "".join(f"class {k}: {p:.6f}\n" for k, p in enumerate(want))


@pytest.mark.parametrize("kind", ["npy", "raw"])
def test_classify_file_input_file(examples_dir, tmp_path, kind):
    x = np.random.default_rng(7).uniform(-1, 1, (1, 8, 8, 1)).astype(np.float32)
    path = tmp_path / f"image.{'npy' if kind == 'npy' else 'bin'}"
    if kind == "npy":
        np.save(path, x)
    else:
        path.write_bytes(x.tobytes())
    out = run(examples_dir / "classify_file", MODEL, path, "--top", 3).stdout
    assert f"input: {path}" in out
    check_top(printed_scores(out), make_model.reference(make_model.weights(), x), 3)
    check_top(printed_scores(out), litert_output(MODEL.read_bytes(), x), 3)


def test_classify_file_bad_inputs(examples_dir, tmp_path):
    exe = examples_dir / "classify_file"
    short = tmp_path / "short.bin"
    short.write_bytes(b"\0" * 100)
    r = run(exe, MODEL, short, expect_ok=False)
    assert r.returncode == 1 and "holds 256 bytes, got 100" in r.stderr
    wrong = tmp_path / "int.npy"
    np.save(wrong, np.zeros((1, 8, 8, 1), np.int32))
    r = run(exe, MODEL, wrong, expect_ok=False)
    assert r.returncode == 1 and "INT32" in r.stderr and "FLOAT32" in r.stderr
    r = run(exe, tmp_path / "missing.tflite", expect_ok=False)
    assert r.returncode == 1 and "cannot open model file" in r.stderr
    r = run(exe, expect_ok=False)
    assert r.returncode == 2 and "usage:" in r.stderr


def test_classify_file_int8_model(examples_dir, tmp_path):
    """The pattern quantized into an int8 input, and int8 scores dequantized for printing:
    the bare-metal example's int8 network."""
    spec = importlib.util.spec_from_file_location(
        "baremetal_make_model", REPO / "native" / "baremetal" / "make_model.py")
    baremetal = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(baremetal)
    model = baremetal.build_model(np.random.default_rng(2024))
    path = tmp_path / "int8.tflite"
    path.write_bytes(model)
    it = Interpreter(model_content=model)
    inp, outp = it.get_input_details()[0], it.get_output_details()[0]
    scale, zero = inp["quantization"]
    v = make_model.pattern(inp["shape"])
    q = v / np.float32(scale)
    q = np.sign(q) * np.floor(np.abs(q) + np.float32(0.5)) + zero  # lroundf: ties away from 0
    x = np.clip(q, -128, 127).astype(np.int8)
    o_scale, o_zero = outp["quantization"]
    want = np.float32(o_scale) * (litert_output(model, x).astype(np.float32) - np.float32(o_zero))
    out = run(examples_dir / "classify_file", path, "--top", 4).stdout
    assert "INT8" in out
    check_top(printed_scores(out), want.astype(np.float64), 4)


def test_classify_embedded(examples_dir):
    """Same model compiled in, same pattern: the same scores as from the file, no heap."""
    out = run(examples_dir / "classify_embedded").stdout
    from_file = run(examples_dir / "classify_file", MODEL).stdout
    assert printed_scores(out) == printed_scores(from_file)
    want = make_model.reference(make_model.weights(), make_model.pattern((1, 8, 8, 1)))
    check_top(printed_scores(out), want, 5)
    assert "model: compiled in (4272 bytes" in out
    m = re.search(r"memory: model tables (\d+) of \d+ bytes, interpreter (\d+) \+ plan (\d+) of "
                  r"\d+ bytes, heap 0", out)
    assert m and all(int(g) > 0 for g in m.groups()), out


def test_only_alloc_c_calls_the_c_heap(build_dir):
    """Every heap call of the runtime goes through alloc.c (which applies the allocator hooks),
    except the thread pool's (threads are outside the embedded mode: pthreads allocates their
    stacks itself). qsort is banned too: glibc's allocates for large arrays."""
    nm = shutil.which("nm")
    if nm is None:
        pytest.skip("nm not found")
    objects = sorted((build_dir / "native" / "CMakeFiles" / "litert_objects.dir").rglob("*.o"))
    assert len(objects) > 20
    heap = {"malloc", "calloc", "realloc", "free", "aligned_alloc", "posix_memalign",
            "memalign", "valloc", "strdup", "strndup", "qsort"}
    # One nm for all objects; -A prefixes each line with its object's path.
    listing = subprocess.run([nm, "-u", "-A", *map(str, objects)], capture_output=True,
                             text=True, check=True).stdout
    offenders = {}
    for line in listing.splitlines():
        path, _, rest = line.rpartition(":")
        symbol = rest.split()[-1] if rest.split() else ""
        name = Path(path).name.removesuffix(".o")
        if symbol in heap and name not in ("alloc.c", "thread_pool.c"):
            offenders.setdefault(name, []).append(symbol)
    assert not offenders, offenders

"""Bad calls through the Java API (android-demo/litert-java) on the host JVM.

Builds the JNI bridge and the org.litert classes as tests/test_java_api.py does (the bridge
against the liblitert the Python binding loads, javac at Java 8 level with every lint warning
an error), plus the host program BadCallsHostTest, and runs it under -Xcheck:jni. The program
makes wrong calls of every kind (array and buffer types, shapes, sizes, byte orders, direct vs
heap buffers, nulls, indices, shapes, zero-size batches, NaN / Inf, use after close and close
from another thread, the bridge's own checks) and checks that each ends in
IllegalArgumentException / IllegalStateException with a message that says what is wrong, or in
a defined result. Here: the program passed every check, the JVM reported no JNI misuse, and the
NaN / Inf run equals litert's Python interpreter on the same model and image.

Skipped without a JDK (failed instead when CI is set), like test_java_api.py. About 5 s.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import litert
from litert import _native
from test_java_api import ASSETS, BRIDGE, C_FLAGS, JAVA_ROOT, MAIN_SOURCES, _jdk, _multi_io_model
from test_java_api import _require, _run

BAD_CALLS = JAVA_ROOT / "hostTest" / "java" / "org" / "litert" / "BadCallsHostTest.java"
CHECKS = 14  # check(...) calls in BadCallsHostTest.main


def _constant_tensor(model_path):
    """(tensor count, index of a constant tensor) of a model, from the C API."""
    it = litert.Interpreter(model_path=str(model_path))
    lib, ffi = _native.lib, _native.ffi
    interp = it._native.interp
    info = ffi.new("lt_tensor_info *")
    count = lib.lt_interpreter_tensor_count(interp)
    for t in range(count):
        assert lib.lt_interpreter_tensor_info(interp, t, info) == lib.LT_OK
        if info.is_constant and info.bytes > 0:
            return count, t
    raise AssertionError("the model has no constant tensor")


@pytest.fixture(scope="module")
def bad_calls_run(tmp_path_factory):
    javac, java, jni_includes = _jdk()
    cc = _require(shutil.which("cc") or shutil.which("gcc"), "a C compiler")
    tmp = tmp_path_factory.mktemp("java-bad-calls")
    library = Path(_native.library_path).resolve()
    bridge = tmp / "liblitert_jni.so"
    _run([cc, *C_FLAGS, *(f"-I{d}" for d in jni_includes),
          f"-I{Path(__file__).resolve().parent.parent / 'native' / 'include'}",
          str(BRIDGE), str(library), f"-Wl,-rpath,{library.parent}", "-o", str(bridge)])
    classes = tmp / "classes"
    sources = sorted(str(p) for p in MAIN_SOURCES.glob("*.java")) + [str(BAD_CALLS)]
    _run([javac, "--release", "8", "-Xlint:all", "-Xlint:-options", "-Werror",
          "-d", str(classes), *sources])

    work = tmp / "work"
    work.mkdir()
    for name in ("digits_float32.tflite", "digits_int8.tflite"):
        shutil.copy(ASSETS / name, work / name)
    (work / "multi_io.tflite").write_bytes(_multi_io_model())
    count, constant = _constant_tensor(work / "digits_float32.tflite")
    result = subprocess.run(
        [java, "-Xcheck:jni", "--enable-native-access=ALL-UNNAMED",
         f"-Djava.library.path={tmp}", "-cp", str(classes), "org.litert.BadCallsHostTest",
         str(work), str(count), str(constant)],
        capture_output=True, text=True, timeout=120, check=False)
    return work, result


def test_every_bad_call_ends_in_the_documented_exception(bad_calls_run):
    _, result = bad_calls_run
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the Java bad-calls program failed:\n{output}"
    assert f"bad calls host test: {CHECKS} passed, 0 failed" in result.stdout, output
    # -Xcheck:jni reports JNI misuse (exceptions left pending, wrong types) this way; a crash
    # of the JVM leaves an hs_err file and a non-zero status.
    assert "in native method" not in output, output
    assert "WARNING in native method" not in output, output
    assert "A fatal error has been detected" not in output, output


def test_nan_and_inf_image_matches_python(bad_calls_run):
    """The digits model on an image with NaN, +Inf and -Inf pixels: whatever the kernels make
    of them (NaN propagates through the dense layers), Java and Python agree exactly."""
    work, result = bad_calls_run
    assert result.returncode == 0, result.stdout + result.stderr
    image = np.fromfile(work / "out" / "nan_inf_image.bin", np.float32).reshape(1, 8, 8, 1)
    assert np.isnan(image).sum() == 1 and np.isinf(image).sum() == 2
    java_probs = np.fromfile(work / "out" / "nan_inf_probs.bin", np.float32)
    it = litert.Interpreter(model_path=str(work / "digits_float32.tflite"))
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], image)
    it.invoke()
    python_probs = it.get_tensor(it.get_output_details()[0]["index"]).reshape(-1)
    np.testing.assert_array_equal(java_probs, python_probs)  # NaN == NaN for this helper

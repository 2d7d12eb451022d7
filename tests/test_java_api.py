"""The Java API (android-demo/litert-java) on the host JVM, against the Python interpreter.

Builds what an Android build would, minus Android: the JNI bridge (litert_jni.c) with the C
compiler against the JDK's jni.h and the same liblitert the Python binding loads (so both
sides run identical kernels), the org.litert classes with javac at Java 8 level (no android.*
anywhere), and the host test program InterpreterHostTest. The program runs the app's digit
models (float32 and int8), a multi-input/output model built here, resizes, threads and bad
calls, checks the exception types itself, and writes every output it computed to files that
this test compares with litert.Interpreter on the same models and inputs: int8 exactly, float
within 1e-6 (in practice identical). Both Java programs run under -Xcheck:jni.

Also: the app's plain-Java classes (preprocessing, classifier, samples) through their host
check, and the Android native build's CMake project configured on the host.

Needs a JDK (javac, java, jni.h) and a C compiler: skipped with the reason when there is no
JDK, and failed instead when the CI environment variable is set (CI installs one). About 5 s.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import litert
from litert import _native

ROOT = Path(__file__).resolve().parent.parent
JAVA_ROOT = ROOT / "android-demo" / "litert-java" / "src"
MAIN_SOURCES = JAVA_ROOT / "main" / "java" / "org" / "litert"
HOST_TEST = JAVA_ROOT / "hostTest" / "java" / "org" / "litert" / "InterpreterHostTest.java"
BRIDGE = JAVA_ROOT / "main" / "cpp" / "litert_jni.c"
NATIVE_PROJECT = JAVA_ROOT / "main" / "cpp"
APP = ROOT / "android-demo" / "app" / "src"
ASSETS = APP / "main" / "assets"
# The app's classes that use no Android API (the rest needs android.jar), and their host check.
APP_LOGIC = [APP / "main" / "java" / "org" / "litert" / "demo" / f"{name}.java"
             for name in ("DigitPreprocessor", "SampleDigits", "DigitClassifier")]
APP_HOST_TEST = APP / "hostTest" / "java" / "org" / "litert" / "demo" / "AppLogicHostTest.java"
# The flags the runtime itself is built with (native/CMakeLists.txt), plus -pedantic.
C_FLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes",
           "-Wvla", "-pedantic", "-O2", "-fPIC", "-shared"]


def _require(tool_path, what):
    if tool_path:
        return tool_path
    reason = (f"{what} not found: the Java API test needs a JDK (e.g. Debian's "
              "default-jdk-headless) and a C compiler")
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI must install them)")
    pytest.skip(reason)


def _jdk():
    """(javac, java, [include dirs for jni.h and jni_md.h])."""
    javac = _require(shutil.which("javac"), "javac")
    java = _require(shutil.which("java"), "java")
    home = Path(os.path.realpath(javac)).parent.parent
    include = home / "include"
    if not (include / "jni.h").is_file():
        _require(None, f"jni.h (looked in {include})")
    platform_dirs = [p.parent for p in include.glob("*/jni_md.h")]
    return javac, java, [str(include)] + [str(p) for p in platform_dirs]


def _run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n"
                    f"{result.stdout}\n{result.stderr}")
    return result


def _multi_io_model() -> bytes:
    """Inputs x, y: float32 [2, 3] (batch dynamic), k: int32 [4]; outputs sum = x + y,
    product = x * y, k2 = k + k."""
    from tflite_builder import ModelBuilder

    b = ModelBuilder()
    x = b.input("x", [2, 3], np.float32, shape_signature=[-1, 3])
    y = b.input("y", [2, 3], np.float32, shape_signature=[-1, 3])
    k = b.input("k", [4], np.int32)
    s = b.tensor("sum", [2, 3], np.float32, shape_signature=[-1, 3])
    p = b.tensor("product", [2, 3], np.float32, shape_signature=[-1, 3])
    k2 = b.tensor("k2", [4], np.int32)
    b.op("ADD", [x, y], [s], "AddOptions", {"fused_activation_function": 0})
    b.op("MUL", [x, y], [p], "MulOptions", {"fused_activation_function": 0})
    b.op("ADD", [k, k], [k2], "AddOptions", {"fused_activation_function": 0})
    b.output(s, p, k2)
    return b.build()


def _sample_images() -> np.ndarray:
    """The app's first four sample digits as the model's input, float32 [4, 8, 8, 1]."""
    rows = np.loadtxt(ASSETS / "digits_samples.csv", delimiter=",", skiprows=1)
    return (rows[:4, 1:].reshape(4, 8, 8, 1) / 16.0).astype(np.float32)


def _quantize(x, details):
    scale, zero_point = details["quantization"]
    return np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)


def _python_run(model_path_or_bytes, inputs, num_threads=None):
    """Outputs of litert.Interpreter for a list of inputs (resizing inputs to their shapes)."""
    kwargs = ({"model_content": model_path_or_bytes} if isinstance(model_path_or_bytes, bytes)
              else {"model_path": str(model_path_or_bytes)})
    it = litert.Interpreter(num_threads=num_threads, **kwargs)
    for d, value in zip(it.get_input_details(), inputs):
        it.resize_tensor_input(d["index"], list(value.shape))
    it.allocate_tensors()
    for d, value in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], value)
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


@pytest.fixture(scope="module")
def java_build(tmp_path_factory):
    """(java, directory of liblitert_jni.so, classes directory): the bridge compiled against
    the library the Python binding uses, and the API, the app's plain-Java classes and both
    host test programs compiled at Java 8 level with every lint warning an error."""
    javac, java, jni_includes = _jdk()
    cc = _require(shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc"),
                  "a C compiler")
    tmp = tmp_path_factory.mktemp("java-build")
    library = Path(_native.library_path).resolve()

    bridge = tmp / "liblitert_jni.so"
    _run([cc, *C_FLAGS, *(f"-I{d}" for d in jni_includes), f"-I{ROOT / 'native' / 'include'}",
          str(BRIDGE), str(library), f"-Wl,-rpath,{library.parent}", "-o", str(bridge)])

    classes = tmp / "classes"
    sources = sorted(str(p) for p in MAIN_SOURCES.glob("*.java"))
    sources += [str(HOST_TEST), *map(str, APP_LOGIC), str(APP_HOST_TEST)]
    _run([javac, "--release", "8", "-Xlint:all", "-Xlint:-options", "-Werror",
          "-d", str(classes), *sources])
    return java, tmp, classes


def _java(java_build, main_class, *args):
    java, library_dir, classes = java_build
    # -Xcheck:jni makes the JVM verify every JNI call the bridge makes; JDK 24+ warns about
    # loading native code unless it is enabled.
    return subprocess.run(
        [java, "-Xcheck:jni", "--enable-native-access=ALL-UNNAMED",
         f"-Djava.library.path={library_dir}", "-cp", str(classes),
         main_class, *map(str, args)],
        capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def java_run(java_build, tmp_path_factory):
    """Prepares the work directory and runs InterpreterHostTest once; returns (work dir,
    completed process)."""
    work = tmp_path_factory.mktemp("java-api")
    for name in ("digits_float32.tflite", "digits_int8.tflite"):
        shutil.copy(ASSETS / name, work / name)
    (work / "multi_io.tflite").write_bytes(_multi_io_model())
    (work / "garbage.tflite").write_bytes(b"TFL3" + bytes(range(256)) * 4)
    images = _sample_images()
    images.tofile(work / "images_f32.bin")
    int8_input = litert.Interpreter(model_path=str(ASSETS / "digits_int8.tflite"))
    _quantize(images, int8_input.get_input_details()[0]).tofile(work / "images_i8.bin")
    rng = np.random.default_rng(7)
    rng.standard_normal((5, 3)).astype(np.float32).tofile(work / "multi_x.bin")
    rng.standard_normal((5, 3)).astype(np.float32).tofile(work / "multi_y.bin")
    np.array([3, -1, 1 << 20, -(1 << 29)], np.int32).tofile(work / "multi_k.bin")

    return work, _java(java_build, "org.litert.InterpreterHostTest", work)


def _out(work, name, dtype):
    return np.fromfile(work / "out" / f"{name}.bin", dtype=dtype)


def _facts(work):
    facts = {}
    for line in (work / "out" / "facts.txt").read_text().splitlines():
        key, _, value = line.partition("=")
        facts[key] = value
    return facts


def test_java_program_passes_its_checks(java_run):
    _, result = java_run
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the Java host test failed:\n{output}"
    assert "java host test: 12 passed, 0 failed" in result.stdout, output
    # -Xcheck:jni reports misuse (pending exceptions ignored, wrong types) this way.
    assert "in native method" not in output, output


def test_float_outputs_match_python(java_run):
    work, _ = java_run
    images = np.fromfile(work / "images_f32.bin", np.float32).reshape(4, 8, 8, 1)
    model = work / "digits_float32.tflite"
    one = _python_run(model, [images[:1]])[0].reshape(-1)
    two = _python_run(model, [images[:2]])[0].reshape(-1)
    four = _python_run(model, [images], num_threads=2)[0].reshape(-1)
    for name in ("float_single", "float_flat", "float_heap_buffers", "float_after_errors"):
        np.testing.assert_allclose(_out(work, name, np.float32), one, rtol=0, atol=1e-6,
                                   err_msg=name)
    np.testing.assert_allclose(_out(work, "float_batch4_threads2", np.float32), four,
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(_out(work, "float_after_bad_resize", np.float32), two,
                               rtol=0, atol=1e-6)
    # The sample images are classified as their labels (0, 1, 2, 3).
    assert list(four.reshape(4, 10).argmax(-1)) == [0, 1, 2, 3]


def test_int8_outputs_match_python_exactly(java_run):
    work, _ = java_run
    images = np.fromfile(work / "images_i8.bin", np.int8).reshape(4, 8, 8, 1)
    model = work / "digits_int8.tflite"
    np.testing.assert_array_equal(_out(work, "int8_single", np.int8),
                                  _python_run(model, [images[:1]])[0].reshape(-1))
    np.testing.assert_array_equal(_out(work, "int8_batch3_threads2", np.int8),
                                  _python_run(model, [images[:3]], num_threads=2)[0].reshape(-1))


def test_multi_input_output_match_python(java_run):
    work, _ = java_run
    x = np.fromfile(work / "multi_x.bin", np.float32).reshape(5, 3)
    y = np.fromfile(work / "multi_y.bin", np.float32).reshape(5, 3)
    k = np.fromfile(work / "multi_k.bin", np.int32)
    model = (work / "multi_io.tflite").read_bytes()
    s2, _, k2 = _python_run(model, [x[:2], y[:2], k])
    s5, p5, _ = _python_run(model, [x, y, k])
    np.testing.assert_array_equal(_out(work, "multi_sum", np.float32), s2.reshape(-1))
    np.testing.assert_array_equal(_out(work, "multi_k2", np.int32), k2)
    np.testing.assert_array_equal(_out(work, "multi_sum5", np.float32), s5.reshape(-1))
    np.testing.assert_array_equal(_out(work, "multi_product5", np.float32), p5.reshape(-1))


@pytest.mark.parametrize("prefix,model", [("float", "digits_float32.tflite"),
                                          ("int8", "digits_int8.tflite"),
                                          ("multi", "multi_io.tflite")])
def test_tensor_facts_match_python(java_run, prefix, model):
    """Names, indices, types, shapes, signatures, sizes and quantization as the Java Tensor
    reports them equal the Python interpreter's details."""
    work, _ = java_run
    facts = _facts(work)
    it = litert.Interpreter(model_path=str(work / model))
    it.allocate_tensors()
    inputs, outputs = it.get_input_details(), it.get_output_details()
    assert int(facts[f"{prefix}.inputs"]) == len(inputs)
    assert int(facts[f"{prefix}.outputs"]) == len(outputs)
    for role, details in (("input", inputs), ("output", outputs)):
        for i, d in enumerate(details):
            key = f"{prefix}.{role}{i}"
            assert facts[f"{key}.name"] == d["name"]
            assert int(facts[f"{key}.index"]) == d["index"]
            assert facts[f"{key}.type"] == np.dtype(d["dtype"]).name.upper()
            assert facts[f"{key}.shape"] == ",".join(map(str, d["shape"]))
            assert facts[f"{key}.signature"] == ",".join(map(str, d["shape_signature"]))
            dtype = np.dtype(d["dtype"])
            assert int(facts[f"{key}.elements"]) == int(np.prod(d["shape"]))
            assert int(facts[f"{key}.bytes"]) == int(np.prod(d["shape"])) * dtype.itemsize
            scale, zero_point = d["quantization"]
            assert float(facts[f"{key}.scale"]) == pytest.approx(scale, rel=1e-7)
            assert int(facts[f"{key}.zero_point"]) == zero_point


def test_java_sources_do_not_use_android():
    """The API classes (and the app classes checked here) build and run on any JVM: no
    android.* anywhere."""
    for path in [*MAIN_SOURCES.glob("*.java"), *APP_LOGIC]:
        assert not re.search(r"\bandroid\.[a-z]+\.[A-Za-z]", path.read_text()), path


def test_app_logic_on_host(java_build):
    """The app's DigitClassifier over the Java API: every bundled sample classified as its
    label by both models at 1, 2 and 4 threads; DigitPreprocessor turns drawings of a 0, 1 and
    7 into inputs that do not depend on the drawing's size or place and that the float model
    classifies right."""
    result = _java(java_build, "org.litert.demo.AppLogicHostTest", ASSETS)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "app host test: 69 passed, 0 failed" in result.stdout, output
    assert "in native method" not in output, output
    # The preprocessed drawings are images like the data set's: values k/16, ink in the middle.
    for line in result.stdout.splitlines():
        if line.startswith("input "):
            values = np.array(line.split()[2:], np.float64).reshape(8, 8)
            assert np.array_equal(values * 16, np.round(values * 16))
            assert values.max() == pytest.approx(1.0, abs=1 / 16)


def test_native_project_configures(tmp_path):
    """android-demo's CMake project (what Gradle runs through the NDK) configures on the host,
    where it finds the JDK's jni.h instead of the NDK's: its path to the repository, the
    runtime's options and its targets are right. (Building it compiles the whole runtime, ~40 s;
    done by hand, see the report.)"""
    _jdk()
    cmake = shutil.which("cmake")
    if cmake is None:
        if os.environ.get("CI"):
            pytest.fail("cmake not found in CI")
        pytest.skip("cmake not found")
    result = _run([cmake, "-S", str(NATIVE_PROJECT), "-B", str(tmp_path / "build")])
    assert "litert_jni" in (tmp_path / "build" / "CMakeCache.txt").read_text()
    assert "JNI headers:" in result.stdout


def test_no_buffer_calls_missing_on_old_android(tmp_path):
    """Since Java 9, ByteBuffer, FloatBuffer, ... override clear(), flip(), limit(int), ...
    with covariant return types; Android has those overrides only from API 34 on, so bytecode
    naming them (what javac emits for a call on a ByteBuffer when compiling against a newer
    API, as Gradle does with compileSdk 35) fails with NoSuchMethodError at minSdk 24. Compile
    the classes against Java 11 and check the bytecode calls these through java.nio.Buffer."""
    javac, _, _ = _jdk()
    javap = _require(shutil.which("javap"), "javap")
    classes = tmp_path / "classes"
    sources = [*map(str, MAIN_SOURCES.glob("*.java")), *map(str, APP_LOGIC)]
    _run([javac, "--release", "11", "-d", str(classes), *sources])
    class_files = sorted(str(p) for p in classes.rglob("*.class"))
    bytecode = _run([javap, "-c", "-p", *class_files]).stdout
    covariant = re.findall(r"Method java/nio/(?:Byte|Char|Short|Int|Long|Float|Double)Buffer\."
                           r"(?:clear|flip|limit|position|rewind|mark|reset):\([^)]*\)"
                           r"Ljava/nio/\w+Buffer;", bytecode)
    assert not covariant, covariant

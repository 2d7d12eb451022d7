"""Bad calls through the Python API (litert.Interpreter) end in a clear exception or a defined
result, never a crash, a read of freed memory or a silently wrong value.

Covers: wrong dtypes (the message names the tensor, the expected and the given type, like
tf.lite.Interpreter's), wrong shapes, Python lists and scalars, non-contiguous, unaligned,
Fortran-ordered and byte-swapped arrays, a view of the tensor itself as the value, get_tensor
returning copies, tensor() views across allocate / resize / close, calls out of order (invoke,
get, set before allocate; invoke after resize; everything after a failed allocate), bad
indices and shapes (negative, rank > 8, beyond int32, non-integers), zero-size tensors, NaN and
Inf inputs (compared with TensorFlow Lite's reference kernels), and every method after close()
or once the Interpreter object is gone. Where TensorFlow Lite rejects the same call, the
exception type is the same.

Run it against an ASan+UBSan build too (tests/sanitized_build.py). libstdc++ is preloaded
with the ASan runtime so that TensorFlow Lite's C++ exceptions (its ValueErrors) work:
  LD_PRELOAD="$(cc -print-file-name=libasan.so) $(cc -print-file-name=libstdc++.so.6)" \
  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1 \
  LITERT_LIBRARY=<asan build>/native/liblitert.so python3 -m pytest -q tests/test_bad_calls_python.py
"""
import gc
import itertools
import re

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter as ReferenceInterpreter
from ai_edge_litert.interpreter import OpResolverType

from litert import Interpreter
from tflite_builder import ModelBuilder

CONSTANT = np.array([1.5, -2.0, 0.25], dtype=np.float32)
# Tensor indices of the add/mul model, in the order the builder creates them.
X, Y, C, Z, W = range(5)


@pytest.fixture(scope="module")
def add_mul_model():
    """z = x + y; w = z * c (c a constant [3], broadcast); x, y float32 [2, 3] with a dynamic
    batch; outputs z and w. z and w are arena tensors."""
    b = ModelBuilder()
    x = b.input("x", [2, 3], np.float32, shape_signature=[-1, 3])
    y = b.input("y", [2, 3], np.float32, shape_signature=[-1, 3])
    c = b.constant("c", CONSTANT)
    z = b.tensor("z", [2, 3], np.float32, shape_signature=[-1, 3])
    w = b.tensor("w", [2, 3], np.float32, shape_signature=[-1, 3])
    assert (x, y, c, z, w) == (X, Y, C, Z, W)
    b.op("ADD", [x, y], [z], "AddOptions", dict(fused_activation_function=0))
    b.op("MUL", [z, c], [w], "MulOptions", dict(fused_activation_function=0))
    b.output(z, w)
    b.signature("add_mul", {"x_in": x, "y_in": y}, {"sum": z, "product": w})
    return b.build()


@pytest.fixture
def it(add_mul_model):
    interpreter = Interpreter(model_content=add_mul_model)
    interpreter.allocate_tensors()
    yield interpreter
    interpreter.close()


def _both(model):
    """(litert, TensorFlow Lite) interpreters of one model, allocated."""
    pair = (Interpreter(model_content=model), ReferenceInterpreter(model_content=model))
    for interpreter in pair:
        interpreter.allocate_tensors()
    return pair


def _values(seed=0, shape=(2, 3)):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _run(interpreter, x, y):
    interpreter.set_tensor(X, x)
    interpreter.set_tensor(Y, y)
    interpreter.invoke()
    return interpreter.get_tensor(Z), interpreter.get_tensor(W)


def _assert_works(interpreter, seed=1):
    """The interpreter still computes z = x + y and w = z * c after whatever came before."""
    x, y = _values(seed), _values(seed + 100)
    z, w = _run(interpreter, x, y)
    np.testing.assert_array_equal(z, x + y)
    np.testing.assert_array_equal(w, (x + y) * CONSTANT)


# ---- dtypes -------------------------------------------------------------------------------

@pytest.mark.parametrize("value,got", [
    (np.zeros((2, 3), np.float64), "float64"),
    (np.zeros((2, 3), np.float16), "float16"),
    (np.zeros((2, 3), np.int32), "int32"),
    (np.zeros((2, 3), np.int8), "int8"),
    (np.zeros((2, 3), np.bool_), "bool"),
    (np.zeros((2, 3), np.complex64), "complex64"),
    (np.full((2, 3), "a"), "str"),
    (np.empty((2, 3), object), "object"),
    ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "float64"),  # a Python list of floats is float64
    ([[1, 2, 3], [4, 5, 6]], "int64"),
    (1.0, "float64"),
    (None, "object"),
])
def test_wrong_dtype_names_tensor_expected_and_got(add_mul_model, value, got):
    ours, theirs = _both(add_mul_model)
    with pytest.raises(ValueError) as info:
        ours.set_tensor(X, value)
    message = str(info.value)
    assert "tensor 0 ('x')" in message, message
    assert "expected type float32" in message, message
    assert f"got value of type {got}" in message, message
    with pytest.raises(ValueError):  # TensorFlow Lite refuses it too
        theirs.set_tensor(X, value)
    _assert_works(ours)


def test_right_dtype_in_python_values_is_accepted(it):
    """Lists of np.float32 scalars become a float32 array: accepted, as by TensorFlow Lite."""
    rows = [[np.float32(v) for v in row] for row in _values(3)]
    it.set_tensor(X, rows)
    np.testing.assert_array_equal(it.get_tensor(X), np.array(rows, np.float32))


# ---- shapes -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 2), (2,), (6,), (1, 2, 3), (2, 3, 1), (), (0, 3),
                                   (2, 4)])
def test_wrong_shape_raises_value_error(add_mul_model, shape):
    ours, theirs = _both(add_mul_model)
    value = np.zeros(shape, np.float32)
    with pytest.raises(ValueError, match=r"dimension mismatch: got shape .* but expected "
                                         r"\(2, 3\) for tensor 0 \('x'\)"):
        ours.set_tensor(X, value)
    with pytest.raises(ValueError):
        theirs.set_tensor(X, value)
    _assert_works(ours)


# ---- memory layouts -----------------------------------------------------------------------

def _layouts():
    base = _values(7, (4, 6))
    unaligned = np.frombuffer(b"\0" + base[:2, :3].tobytes(), np.float32, 6, 1).reshape(2, 3)
    return {
        "strided": base[::2, ::2],
        "negative strides": base[:2, :3][::-1, ::-1],
        "transposed": base[:3, :2].T,
        "fortran": np.asfortranarray(base[:2, :3]),
        "broadcast": np.broadcast_to(base[0, :3], (2, 3)),
        "unaligned": unaligned,
        "read-only": np.frombuffer(base[:2, :3].tobytes(), np.float32).reshape(2, 3),
    }


@pytest.mark.parametrize("layout", list(_layouts()))
def test_any_memory_layout_is_copied_right(add_mul_model, layout):
    value = _layouts()[layout]
    ours, theirs = _both(add_mul_model)
    for interpreter in (ours, theirs):
        interpreter.set_tensor(X, value)
        np.testing.assert_array_equal(interpreter.get_tensor(X), value)
    # Again through the fast path (a tensor set before with this dtype and shape).
    ours.set_tensor(X, value * 2)
    np.testing.assert_array_equal(ours.get_tensor(X), value * 2)


def test_other_byte_order_is_converted(it):
    """'>f4' is float32 in big-endian order: litert converts it to native order (TensorFlow
    Lite copies the raw bytes and reads back byte-swapped values)."""
    value = _values(8)
    swapped = value.astype(value.dtype.newbyteorder(">" if value.dtype.byteorder != ">"
                                                    else "<"))
    assert swapped.dtype != value.dtype
    it.set_tensor(X, swapped)
    np.testing.assert_array_equal(it.get_tensor(X), value)
    it.set_tensor(Y, swapped)  # twice: the second goes near the fast path
    np.testing.assert_array_equal(it.get_tensor(Y), value)
    wrong = np.zeros((2, 3), ">i4")
    with pytest.raises(ValueError, match="expected type float32"):
        it.set_tensor(X, wrong)


def test_set_tensor_with_a_view_of_itself(add_mul_model):
    """The value may be the tensor's own memory: the copy must not be an overlapping memcpy
    (undefined behaviour) and leaves the right values, on the full path (first set of a
    tensor) and on the fast path (later sets)."""
    interpreter = Interpreter(model_content=add_mul_model)
    interpreter.allocate_tensors()
    x = _values(9)
    _run(interpreter, x, x)
    w = interpreter.get_tensor(W)
    interpreter.set_tensor(W, interpreter.tensor(W)())  # full path: W was never set
    gc.collect()
    np.testing.assert_array_equal(interpreter.get_tensor(W), w)
    reversed_view = interpreter.tensor(W)()[::-1]
    interpreter.set_tensor(W, reversed_view)  # fast path, overlapping and reversed
    del reversed_view
    gc.collect()
    np.testing.assert_array_equal(interpreter.get_tensor(W), w[::-1])
    _assert_works(interpreter)


# ---- copies and views ---------------------------------------------------------------------

def test_get_tensor_returns_copies(it):
    x = _values(10)
    it.set_tensor(X, x)
    for _ in range(3):  # the first call takes the full path, the next ones the fast path
        got = it.get_tensor(X)
        got[...] = 99.0
        np.testing.assert_array_equal(it.get_tensor(X), x)
    constant = it.get_tensor(C)
    constant[0] = 7.0
    np.testing.assert_array_equal(it.get_tensor(C), CONSTANT)


def test_set_tensor_copies_its_value(it):
    x = _values(11)
    source = x.copy()
    it.set_tensor(X, source)
    source[...] = -1.0
    np.testing.assert_array_equal(it.get_tensor(X), x)


def test_live_views_block_allocate_and_resize_like_tensorflow_lite(add_mul_model):
    """Both refuse to move buffers under a live view (RuntimeError), so no view is ever stale;
    once every view (and every slice of one) is gone, both work again."""
    for interpreter in _both(add_mul_model):
        view = interpreter.tensor(X)()
        part = view[1:]
        del view
        with pytest.raises(RuntimeError, match="reference to internal data"):
            interpreter.allocate_tensors()
        with pytest.raises(RuntimeError, match="reference to internal data"):
            interpreter.resize_tensor_input(X, [1, 3])
        del part
        gc.collect()
        interpreter.resize_tensor_input(X, [1, 3])
        interpreter.resize_tensor_input(Y, [1, 3])
        interpreter.allocate_tensors()
        assert interpreter.tensor(X)().shape == (1, 3)


def test_view_of_a_constant_cannot_be_made_writable(tmp_path, add_mul_model):
    """Constants are read from the model file's read-only mapping: writing one would crash."""
    path = tmp_path / "m.tflite"
    path.write_bytes(add_mul_model)
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    view = interpreter.tensor(C)()
    np.testing.assert_array_equal(view, CONSTANT)
    with pytest.raises(ValueError):
        view[0] = 1.0
    with pytest.raises(ValueError):
        view.flags.writeable = True
    with pytest.raises(ValueError, match="constant"):
        interpreter.set_tensor(C, CONSTANT)


def test_views_outlive_close_and_the_interpreter(add_mul_model):
    """A view keeps the native memory it shows: after close(), or once the Interpreter object
    is gone, it still reads the values (never freed memory)."""
    interpreter = Interpreter(model_content=add_mul_model)
    interpreter.allocate_tensors()
    x = _values(12)
    interpreter.set_tensor(X, x)
    view = interpreter.tensor(X)()
    interpreter.close()
    with pytest.raises(ValueError, match="closed"):
        interpreter.get_tensor(X)
    gc.collect()
    np.testing.assert_array_equal(view, x)
    view[...] = 3.0  # still its own memory, not freed
    del view
    gc.collect()

    def make_view():
        temporary = Interpreter(model_content=add_mul_model)
        temporary.allocate_tensors()
        temporary.set_tensor(Y, x)
        return temporary.tensor(Y)()

    orphan = make_view()
    gc.collect()
    np.testing.assert_array_equal(orphan, x)


def test_tensor_function_outlives_its_interpreter_reference(add_mul_model):
    def make_function():
        temporary = Interpreter(model_content=add_mul_model)
        temporary.allocate_tensors()
        return temporary.tensor(X)

    function = make_function()
    gc.collect()
    assert function().shape == (2, 3)


# ---- calls out of order -------------------------------------------------------------------

def test_calls_before_allocate(add_mul_model):
    ours = Interpreter(model_content=add_mul_model)
    theirs = ReferenceInterpreter(model_content=add_mul_model)
    with pytest.raises(RuntimeError, match="not allocated"):
        ours.invoke()
    with pytest.raises(RuntimeError):
        theirs.invoke()
    with pytest.raises(ValueError, match="not allocated"):
        ours.get_tensor(Z)
    with pytest.raises(ValueError, match="not allocated"):
        ours.set_tensor(X, _values())
    with pytest.raises(ValueError, match="no data yet"):
        ours.tensor(Z)()
    ours.allocate_tensors()
    _assert_works(ours)


def test_invoke_after_resize_without_allocate(it):
    it.resize_tensor_input(X, [3, 3])
    with pytest.raises(RuntimeError, match="not allocated"):
        it.invoke()
    with pytest.raises(ValueError, match="not allocated"):
        it.get_tensor(W)
    it.resize_tensor_input(X, [2, 3])
    it.allocate_tensors()
    _assert_works(it)


def test_resize_to_the_same_shape_keeps_the_plan(it):
    x = _values(13)
    it.set_tensor(X, x)
    it.resize_tensor_input(X, [2, 3])
    np.testing.assert_array_equal(it.get_tensor(X), x)
    _assert_works(it)


def test_everything_after_a_failed_allocate(it):
    """A shape past the memory cap fails at allocate with a message naming the tensor; every
    data call then fails cleanly, and a good shape works again."""
    it.resize_tensor_input(X, [2**31 - 1, 2**31 - 1])
    with pytest.raises(RuntimeError, match="tensor 0 'x'.*memory cap"):
        it.allocate_tensors()
    with pytest.raises(RuntimeError, match="not allocated"):
        it.invoke()
    with pytest.raises(ValueError, match="not allocated"):
        it.get_tensor(Z)
    with pytest.raises(ValueError):
        it.set_tensor(Y, _values())
    with pytest.raises(ValueError, match="no data yet"):
        it.tensor(Z)()
    it.resize_tensor_input(X, [2, 3])
    it.allocate_tensors()
    _assert_works(it)


def test_failed_invoke_leaves_a_usable_interpreter(add_mul_model):
    """Mismatched batch sizes fail at allocate (ADD cannot broadcast 2 against 3) and the
    interpreter recovers after the inputs agree again."""
    interpreter = Interpreter(model_content=add_mul_model)
    interpreter.resize_tensor_input(X, [3, 3])
    with pytest.raises(RuntimeError):
        interpreter.allocate_tensors()
    interpreter.resize_tensor_input(Y, [3, 3])
    interpreter.allocate_tensors()
    x, y = _values(14, (3, 3)), _values(15, (3, 3))
    z, _ = _run(interpreter, x, y)
    np.testing.assert_array_equal(z, x + y)


# ---- indices and shapes -------------------------------------------------------------------

@pytest.mark.parametrize("index", [-1, 5, 6, 2**31, 2**63, -(2**63), np.int64(-3)])
@pytest.mark.parametrize("call", ["get", "set", "tensor", "resize"])
def test_tensor_index_out_of_range(it, index, call):
    with pytest.raises(ValueError, match="Invalid tensor index"):
        if call == "get":
            it.get_tensor(index)
        elif call == "set":
            it.set_tensor(index, _values())
        elif call == "tensor":
            it.tensor(index)
        else:
            it.resize_tensor_input(index, [2, 3])


@pytest.mark.parametrize("index", [1.0, "0", None, [0], np.float32(0)])
def test_tensor_index_of_wrong_type(it, index):
    for call in (lambda: it.get_tensor(index), lambda: it.set_tensor(index, _values()),
                 lambda: it.tensor(index), lambda: it.resize_tensor_input(index, [2, 3])):
        with pytest.raises(ValueError, match="tensor index must be an int"):
            call()


def test_resize_of_a_tensor_that_is_not_an_input(it):
    for tensor in (C, Z, W):
        with pytest.raises(ValueError, match="not an input"):
            it.resize_tensor_input(tensor, [2, 3])
    _assert_works(it)


@pytest.mark.parametrize("shape,pattern", [
    ([-1, 3], "negative"),
    ([2, -3], "negative"),
    ([-(2**31), 3], "negative"),
    ([1] * 9, "rank 9 out of range"),
    ([1] * 64, "rank 64 out of range"),
    ([2**31, 3], "outside int32"),
    ([2.0, 3.0], "sequence of ints"),
    ([[2, 3]], "sequence of ints"),
    (["2", "3"], "sequence of ints"),
])
def test_bad_shapes_are_refused(it, shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        it.resize_tensor_input(X, shape)
    assert tuple(it.get_input_details()[0]["shape"]) == (2, 3)
    _assert_works(it)


def test_shape_past_size_t_is_refused(it):
    """2^31-1 eight times overflows the byte count: refused at resize, not wrapped."""
    with pytest.raises(ValueError, match="invalid size"):
        it.resize_tensor_input(X, [2**31 - 1] * 8)
    _assert_works(it)


# ---- zero-size tensors --------------------------------------------------------------------

def test_zero_size_batch_matches_tensorflow_lite(add_mul_model):
    for batch in (0, 2, 0):
        results = []
        for interpreter in (Interpreter(model_content=add_mul_model),
                            ReferenceInterpreter(model_content=add_mul_model)):
            for tensor in (X, Y):
                interpreter.resize_tensor_input(tensor, [batch, 3])
            interpreter.allocate_tensors()
            x, y = _values(16, (batch, 3)), _values(17, (batch, 3))
            results.append(_run(interpreter, x, y))
            if batch == 0:
                assert interpreter.tensor(W)().shape == (0, 3)
        for ours, theirs in zip(*results):
            assert ours.shape == theirs.shape == (batch, 3)
            np.testing.assert_array_equal(ours, theirs)


def test_zero_size_tensor_rejects_nonempty_values(it):
    it.resize_tensor_input(X, [0, 3])
    it.resize_tensor_input(Y, [0, 3])
    it.allocate_tensors()
    with pytest.raises(ValueError, match="dimension mismatch"):
        it.set_tensor(X, np.zeros((1, 3), np.float32))
    it.set_tensor(X, np.zeros((0, 3), np.float32))
    it.invoke()
    assert it.get_tensor(Z).shape == (0, 3)


# ---- NaN and Inf --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def float_ops_model():
    """MAX_POOL_2D, ADD + RELU, SOFTMAX, AVERAGE_POOL_2D, CONV_2D, FULLY_CONNECTED, MEAN, TANH,
    LOGISTIC on a [batch, 4, 4, 2] input, converted by TensorFlow's converter."""
    tf_op_models = pytest.importorskip("tf_op_models")
    tf = tf_op_models.tf()
    rng = np.random.default_rng(0)
    kernel = tf.constant(rng.standard_normal((3, 3, 2, 3)).astype(np.float32))
    weights = tf.constant(rng.standard_normal((8, 5)).astype(np.float32))

    def fn(x):
        pooled = tf.nn.relu(tf.nn.max_pool2d(x, 2, 2, "VALID") + 0.5)
        return (tf.nn.softmax(tf.reshape(pooled, [-1, 8])), pooled,
                tf.nn.conv2d(x, kernel, 1, "SAME"),
                tf.matmul(tf.reshape(tf.nn.avg_pool2d(x, 2, 2, "VALID"), [-1, 8]), weights),
                tf.reduce_mean(x, axis=[1, 2]), tf.math.tanh(x), tf.math.sigmoid(x))

    model = tf_op_models.convert(fn, [((None, 4, 4, 2), tf.float32)], key="bad_calls_float")
    names = set(tf_op_models.op_names(model))
    assert {"MAX_POOL_2D", "ADD", "SOFTMAX", "CONV_2D", "FULLY_CONNECTED", "MEAN", "TANH",
            "LOGISTIC", "AVERAGE_POOL_2D"} <= names, names
    return model


def _run_batch(interpreter, x):
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, list(x.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, x)
    interpreter.invoke()
    return [interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()]


def _both_outputs(model, x):
    ours = _run_batch(Interpreter(model_content=model), x)
    theirs = _run_batch(ReferenceInterpreter(
        model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF), x)
    return ours, theirs


# Float math of SIMD kernels against TensorFlow Lite's reference kernels: sums in another
# order, polynomial exp/tanh; a few ulps of the largest values.
ATOL = 1e-5


def test_nan_propagates_as_in_tensorflow_lite(float_ops_model):
    """NaN inputs (no Inf): every output has NaN exactly where TensorFlow Lite has it (max
    pooling drops NaN in both, the rest propagate it) and the same values elsewhere."""
    x = np.random.default_rng(1).standard_normal((3, 4, 4, 2)).astype(np.float32)
    x[0, 0, 0, 0] = np.nan
    x[1, 3, 2, 1] = np.nan
    x[2] = np.nan
    ours, theirs = _both_outputs(float_ops_model, x)
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert o.shape == t.shape, i
        np.testing.assert_array_equal(np.isnan(o), np.isnan(t), err_msg=f"output {i}")
        np.testing.assert_allclose(o, t, rtol=0, atol=ATOL, equal_nan=True,
                                   err_msg=f"output {i}")


def test_inf_inputs_run_and_finite_rows_stay_right(float_ops_model):
    """+-Inf inputs give defined results. TensorFlow Lite clamps the output of ops with a
    fused activation to [-FLT_MAX, FLT_MAX] (its activation range, even for "no activation")
    where litert keeps +-Inf, so ops downstream of an Inf may differ: softmax (NaN here,
    one-hot there), and sums meeting +Inf and -Inf (conv, fully connected: NaN here, finite
    there). Compare the batch rows without Inf exactly, and the Inf row of the outputs one op
    away from the input as "same value, with +-Inf for +-FLT_MAX"."""
    x = np.random.default_rng(2).standard_normal((3, 4, 4, 2)).astype(np.float32)
    x[1, 1, 1, 1] = np.inf
    x[1, 2, 2, 0] = -np.inf
    ours, theirs = _both_outputs(float_ops_model, x)
    big = np.finfo(np.float32).max
    for i, (o, t) in enumerate(zip(ours, theirs)):
        for row in (0, 2):  # finite inputs
            np.testing.assert_allclose(o[row], t[row], rtol=0, atol=ATOL,
                                       err_msg=f"output {i} row {row}")
        if i in (0, 2, 3):
            continue  # softmax, conv, fully connected of the Inf row: see above
        np.testing.assert_allclose(np.clip(o[1], -big, big), np.clip(t[1], -big, big), rtol=1e-6, atol=ATOL, equal_nan=True,
                                   err_msg=f"output {i} row 1")


def test_zero_batch_through_every_op(float_ops_model):
    ours, theirs = _both_outputs(float_ops_model, np.zeros((0, 4, 4, 2), np.float32))
    assert [o.shape for o in ours] == [t.shape for t in theirs]
    assert all(o.size == 0 for o in ours)


def test_odd_input_shapes_run_or_fail_clearly(float_ops_model):
    """Batch, height, width and channels of 0, 1 and sizes the pools do not divide, through
    every op of the model: litert either gives TensorFlow Lite's shapes and values, or refuses
    the shape at allocate with a message naming the node, where TensorFlow Lite refuses it
    too. The one refusal TensorFlow Lite does not make: a VALID pooling window larger than the
    input (TensorFlow Lite gives an empty output there)."""
    rng = np.random.default_rng(5)
    for shape in itertools.product((0, 1, 2), (0, 1, 2, 3, 5), (0, 1, 4), (0, 2)):
        x = rng.standard_normal(shape).astype(np.float32)
        try:
            theirs = _run_batch(ReferenceInterpreter(
                model_content=float_ops_model,
                experimental_op_resolver_type=OpResolverType.BUILTIN_REF), x)
        except (RuntimeError, ValueError):
            theirs = None
        try:
            ours = _run_batch(Interpreter(model_content=float_ops_model), x)
        except RuntimeError as error:
            message = str(error)
            assert re.match(r"node \d+ \(\w+\): ", message), message
            if theirs is not None:  # refused by litert only: the pooling window case
                assert "VALID padding gives no output" in message, (shape, message)
                assert 1 in shape[1:3], (shape, message)
            continue
        assert theirs is not None, f"{shape}: TensorFlow Lite refuses, litert runs"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            assert o.shape == t.shape, (shape, i)
            np.testing.assert_allclose(o, t, rtol=0, atol=ATOL, err_msg=f"{shape} output {i}")


def test_nan_and_inf_through_hybrid_kernels_are_defined():
    """Dynamic-range (hybrid) CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED quantize their
    float input at run time, where NaN / Inf meet float-to-int conversions. Rows without them
    match TensorFlow Lite; rows with them get a defined result (TensorFlow Lite's own depends
    on undefined conversions): NaN where the SIMD kernels have NaN at the portable level too,
    and identical run after run."""
    tf_op_models = pytest.importorskip("tf_op_models")
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(3)
    net = keras.Sequential([keras.Input((4, 4, 2)), keras.layers.Conv2D(4, 3, padding="same"),
                            keras.layers.DepthwiseConv2D(3, padding="same"),
                            keras.layers.Flatten(), keras.layers.Dense(5)])
    model = tf_op_models.convert(net, [], quant="dynamic", key="bad_calls_hybrid")
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"} <= set(
        tf_op_models.op_names(model))
    x = np.random.default_rng(4).standard_normal((4, 4, 4, 2)).astype(np.float32)
    x[1, 0, 0, 0] = np.nan
    x[2, 1, 1, 1] = np.inf
    x[3, 2, 2, 0] = -np.inf
    theirs = _run_batch(ReferenceInterpreter(
        model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF), x)[0]
    best, portable, again = (_run_batch(Interpreter(model_content=model, isa=isa), x)[0]
                             for isa in (None, "portable", None))
    # Hybrid arithmetic follows TensorFlow Lite's; the float epilogues round differently.
    np.testing.assert_allclose(best[0], theirs[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(again, best)
    np.testing.assert_array_equal(np.isnan(portable), np.isnan(best))
    np.testing.assert_allclose(portable, best, rtol=1e-5, atol=1e-6, equal_nan=True)


def test_quantize_op_maps_nan_and_inf_to_defined_values():
    """QUANTIZE float32 -> int8: NaN gives the zero point, +-Inf the ends of the range, huge
    finite values saturate (quantize.c; TensorFlow Lite converts them with undefined
    behaviour)."""
    b = ModelBuilder()
    x = b.input("x", [8], np.float32)
    q = b.tensor("q", [8], np.int8, quant=dict(scale=0.5, zero_point=-3))
    b.op("QUANTIZE", [x], [q])
    b.output(q)
    interpreter = Interpreter(model_content=b.build())
    interpreter.allocate_tensors()
    big = np.finfo(np.float32).max
    interpreter.set_tensor(x, np.array([np.nan, np.inf, -np.inf, big, -big, 3e9, -3e9, 1.0],
                                       np.float32))
    interpreter.invoke()
    np.testing.assert_array_equal(interpreter.get_tensor(q),
                                  np.array([-3, 127, -128, 127, -128, 127, -128, -1], np.int8))


def test_random_call_sequences_never_crash(add_mul_model):
    """A seeded stream of calls in random order with random (often bad) arguments: every call
    returns or raises ValueError / RuntimeError, and whenever x and y were set since the last
    allocate, invoke computes the right z and w. Run under ASan this is a small fuzzer."""
    rng = np.random.default_rng(2024)
    interpreter = Interpreter(model_content=add_mul_model)
    views = []
    set_since_allocate = set()
    shapes = [[2, 3], [0, 3], [1, 3], [4, 3], [2, 3, 1], [], [-1, 3], [1] * 9, [2, 2**31]]
    dtypes = [np.float32, np.float32, np.float64, np.int32, np.int8, np.bool_]
    for _ in range(600):
        action = rng.integers(10)
        try:
            if action == 0:
                interpreter.resize_tensor_input(int(rng.integers(-1, 6)),
                                                shapes[rng.integers(len(shapes))])
                set_since_allocate.clear()
            elif action == 1:
                interpreter.allocate_tensors()
                set_since_allocate.clear()
            elif action in (2, 3):
                tensor = int(rng.integers(-1, 6))
                shape = (tuple(interpreter.get_input_details()[0]["shape"])
                         if rng.random() < 0.8 else tuple(rng.integers(0, 4, 2)))
                value = rng.standard_normal(shape).astype(dtypes[rng.integers(len(dtypes))])
                interpreter.set_tensor(tensor, value)
                set_since_allocate.add(tensor)
            elif action == 4:
                interpreter.get_tensor(int(rng.integers(-1, 6)))
            elif action == 5:
                views.append(interpreter.tensor(int(rng.integers(0, 5)))())
            elif action == 6:
                if views:
                    views.pop(int(rng.integers(len(views))))
                gc.collect()
            elif action in (7, 8):
                interpreter.invoke()
                if {X, Y} <= set_since_allocate and not views:
                    x, y = interpreter.get_tensor(X), interpreter.get_tensor(Y)
                    np.testing.assert_array_equal(interpreter.get_tensor(Z), x + y)
                    np.testing.assert_array_equal(interpreter.get_tensor(W), (x + y) * CONSTANT)
            elif rng.random() < 0.2:
                interpreter.close()
                interpreter = Interpreter(model_content=add_mul_model)
                set_since_allocate.clear()
            else:
                interpreter.profile(bool(rng.integers(2)))
                interpreter.get_profile(by="op")
        except (ValueError, RuntimeError):
            pass
    for view in views:
        assert view.size >= 0 and np.all(np.isfinite(view) | ~np.isfinite(view))
    del views
    gc.collect()
    interpreter.close()


# ---- after close() ------------------------------------------------------------------------

def _public_calls(interpreter):
    x = _values()
    return {
        "allocate_tensors": interpreter.allocate_tensors,
        "invoke": interpreter.invoke,
        "set_tensor": lambda: interpreter.set_tensor(X, x),
        "get_tensor": lambda: interpreter.get_tensor(Z),
        "tensor": lambda: interpreter.tensor(X),
        "resize_tensor_input": lambda: interpreter.resize_tensor_input(X, [2, 3]),
        "get_input_details": interpreter.get_input_details,
        "get_output_details": interpreter.get_output_details,
        "get_tensor_details": interpreter.get_tensor_details,
        "get_signature_list": interpreter.get_signature_list,
        "get_signature_runner": interpreter.get_signature_runner,
        "profile": interpreter.profile,
        "reset_profile": interpreter.reset_profile,
        "get_profile": interpreter.get_profile,
        "isa": lambda: interpreter.isa,
        "profiling": lambda: interpreter.profiling,
    }


def test_every_call_after_close_raises(add_mul_model):
    interpreter = Interpreter(model_content=add_mul_model)
    interpreter.allocate_tensors()
    interpreter.set_tensor(X, _values())
    interpreter.get_tensor(X)  # fills the fast-path caches
    view_function = interpreter.tensor(X)
    runner = interpreter.get_signature_runner("add_mul")
    interpreter.close()
    for name, call in _public_calls(interpreter).items():
        with pytest.raises(ValueError, match="This Interpreter is closed"):
            call()
        assert name
    with pytest.raises(ValueError, match="closed"):
        view_function()
    with pytest.raises(ValueError, match="closed"):
        runner(x_in=_values(), y_in=_values())
    with pytest.raises(ValueError, match="closed"):
        runner.get_input_details()
    interpreter.close()  # a second close is a no-op
    with Interpreter(model_content=add_mul_model) as scoped:
        scoped.allocate_tensors()
    with pytest.raises(ValueError, match="closed"):
        scoped.invoke()


def test_close_from_inside_a_fast_path_loop(add_mul_model):
    """The fast paths of set_tensor/get_tensor check for close() too."""
    interpreter = Interpreter(model_content=add_mul_model)
    interpreter.allocate_tensors()
    x = _values()
    for _ in range(3):
        interpreter.set_tensor(X, x)
        interpreter.get_tensor(X)
    interpreter.close()
    with pytest.raises(ValueError, match="closed"):
        interpreter.set_tensor(X, x)
    with pytest.raises(ValueError, match="closed"):
        interpreter.get_tensor(X)


def test_many_interpreters_dropped_without_close(add_mul_model):
    """Interpreters garbage-collected without close() free their native memory once (no double
    free with views or caches around)."""
    views = []
    for i in range(20):
        interpreter = Interpreter(model_content=add_mul_model)
        interpreter.allocate_tensors()
        interpreter.set_tensor(X, _values(i))
        interpreter.get_tensor(X)
        if i % 4 == 0:
            views.append((_values(i), interpreter.tensor(X)()))
        if i % 3 == 0:
            interpreter.close()
        del interpreter
    gc.collect()
    for expected, view in views:
        np.testing.assert_array_equal(view, expected)

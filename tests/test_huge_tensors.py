"""Models declaring huge tensors fail with a clear error instead of allocating gigabytes.

allocate_tensors() checks every tensor's size and the plan's total against a cap
(Interpreter(max_memory_bytes=...), 1 GiB by default) before allocating anything, and the
loader rejects shapes whose element count overflows."""
import resource
import time

import numpy as np
import pytest

from litert import Interpreter
from tflite_builder import ModelBuilder

GIB = 1 << 30


def relu_model(shape) -> bytes:
    mb = ModelBuilder()
    x = mb.input("x", shape)
    y = mb.tensor("y", shape)
    mb.op("RELU", [x], [y])
    mb.output(y)
    return mb.build()


def max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def test_huge_activation_fails_fast_without_allocating():
    interp = Interpreter(model_content=relu_model([100000, 100000, 10]))  # 400 GB float
    before = max_rss_bytes()
    start = time.monotonic()
    with pytest.raises(RuntimeError) as e:
        interp.allocate_tensors()
    assert time.monotonic() - start < 1.0
    assert max_rss_bytes() - before < 100 * 1024 * 1024
    msg = str(e.value)
    assert "'x'" in msg and "[100000, 100000, 10]" in msg, msg
    assert "memory cap of 1073741824 bytes" in msg and "max_memory_bytes" in msg, msg


def test_total_over_cap_names_total():
    # Each tensor (4 MB) fits a 6 MB cap, the two together do not.
    interp = Interpreter(model_content=relu_model([1024, 1024]), max_memory_bytes=6 << 20)
    with pytest.raises(RuntimeError, match=r"the plan needs \d+ bytes .* memory cap of 6291456"):
        interp.allocate_tensors()


def test_just_under_a_raised_cap_works():
    shape = [1024, 1024]  # 4 MiB in + 4 MiB out
    content = relu_model(shape)
    with pytest.raises(RuntimeError, match="memory cap"):
        Interpreter(model_content=content, max_memory_bytes=(8 << 20) - 1).allocate_tensors()
    interp = Interpreter(model_content=content, max_memory_bytes=(8 << 20) + 4096)
    interp.allocate_tensors()
    x = np.linspace(-1, 1, 1 << 20, dtype=np.float32).reshape(shape)
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    out = interp.get_tensor(interp.get_output_details()[0]["index"])
    np.testing.assert_array_equal(out, np.maximum(x, 0))


def test_model_over_default_cap_fails_by_default():
    # 2 x 600 MB: over the 1 GiB default, though each tensor alone fits.
    content = relu_model([150, 1000, 1000])  # 600 MB float each
    with pytest.raises(RuntimeError, match="memory cap of 1073741824"):
        Interpreter(model_content=content).allocate_tensors()


def test_resize_to_huge_batch_fails_the_same_way():
    interp = Interpreter(model_content=relu_model([1, 1000, 1000]))
    interp.allocate_tensors()
    before = max_rss_bytes()
    start = time.monotonic()
    interp.resize_tensor_input(0, [100000, 1000, 1000])
    with pytest.raises(RuntimeError) as e:
        interp.allocate_tensors()
    assert time.monotonic() - start < 1.0
    assert max_rss_bytes() - before < 100 * 1024 * 1024
    msg = str(e.value)
    assert "'x'" in msg and "memory cap" in msg and "max_memory_bytes" in msg, msg
    interp.resize_tensor_input(0, [2, 1000, 1000])  # a sane size works again
    interp.allocate_tensors()
    interp.invoke()


def test_element_count_overflow_rejected_at_load():
    big = 2**31 - 1
    with pytest.raises(ValueError, match="element count of its shape overflows"):
        Interpreter(model_content=relu_model([big, big, big]))


def test_byte_size_overflow_rejected_at_load():
    # 2^62 elements fit an int64, but 2^64 bytes of float32 do not fit a size_t.
    with pytest.raises(ValueError, match="byte size of its shape overflows"):
        Interpreter(model_content=relu_model([2**31 - 1, 2**31 - 1, 2]))


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1"])
def test_max_memory_bytes_validated(bad):
    with pytest.raises(ValueError, match="max_memory_bytes"):
        Interpreter(model_content=relu_model([2]), max_memory_bytes=bad)

"""Per-op profiling: Interpreter.profile() / get_profile() / reset_profile() and
`litert-run --profile`.

The model is a small CNN written with tests/tflite_builder.py whose node 2 adds two constants:
the runtime computes it once at allocate (folding), so invoke never runs it and the profile
leaves it out. Times come from a monotonic clock around each kernel, so they must be positive
and add up to less than the wall time of the invokes that contain them.

The C API itself (lt_interpreter_set_profiling and friends, every error path) is checked by
native/tests/test_profiling.c, which ctest runs, also under the sanitizers (test_c_suite.py).
"""
from __future__ import annotations

import re
import subprocess
import time

import numpy as np
import pytest

from litert import Interpreter
from tflite_builder import ModelBuilder

RUNS = 5
# Execution order of the nodes invoke runs: node 2 (ADD of two constants) is folded.
EXPECTED = [(0, "CONV_2D"), (1, "MAX_POOL_2D"), (3, "RESHAPE"), (4, "FULLY_CONNECTED"),
            (5, "SOFTMAX")]


def _model() -> bytes:
    rng = np.random.default_rng(5)
    b = ModelBuilder()
    x = b.input("x", [1, 8, 8, 3])
    w = b.constant("w", rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    bias = b.constant("bias", rng.standard_normal(4).astype(np.float32))
    c = b.tensor("conv", [1, 8, 8, 4])
    b.op("CONV_2D", [x, w, bias], [c], "Conv2DOptions",
         dict(padding=0, stride_w=1, stride_h=1, fused_activation_function=1))
    p = b.tensor("pool", [1, 4, 4, 4])
    b.op("MAX_POOL_2D", [c], [p], "Pool2DOptions",
         dict(padding=1, stride_h=2, stride_w=2, filter_height=2, filter_width=2,
              fused_activation_function=0))
    half_a = b.constant("half_a", rng.standard_normal(10).astype(np.float32))
    half_b = b.constant("half_b", rng.standard_normal(10).astype(np.float32))
    fc_bias = b.tensor("fc_bias", [10])
    b.op("ADD", [half_a, half_b], [fc_bias], "AddOptions", dict(fused_activation_function=0))
    r = b.tensor("flat", [1, 64])
    b.op("RESHAPE", [p, b.constant("shape", np.array([1, 64], np.int32))], [r],
         "ReshapeOptions", dict(new_shape=[1, 64]))
    fc_w = b.constant("fc_w", rng.standard_normal((10, 64)).astype(np.float32))
    logits = b.tensor("logits", [1, 10])
    b.op("FULLY_CONNECTED", [r, fc_w, fc_bias], [logits], "FullyConnectedOptions",
         dict(fused_activation_function=0))
    y = b.tensor("y", [1, 10])
    b.op("SOFTMAX", [logits], [y], "SoftmaxOptions", dict(beta=1.0))
    b.output(y)
    return b.build()


MODEL = _model()
X = np.random.default_rng(6).standard_normal((1, 8, 8, 3)).astype(np.float32)


def _ready(num_threads=1, profile=True) -> Interpreter:
    it = Interpreter(model_content=MODEL, num_threads=num_threads)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], X)
    if profile:
        it.profile(True)
    return it


def _output(it: Interpreter) -> np.ndarray:
    return it.get_tensor(it.get_output_details()[0]["index"])


@pytest.mark.parametrize("num_threads", [1, 2])
def test_one_entry_per_executed_node_in_order_within_wall_time(num_threads):
    it = _ready(num_threads)
    start = time.perf_counter()
    for _ in range(RUNS):
        it.invoke()
    wall_ms = (time.perf_counter() - start) * 1e3
    profile = it.get_profile()
    assert [(row["index"], row["op"]) for row in profile] == EXPECTED
    for row in profile:
        assert row["invokes"] == RUNS, row
        assert row["time_ms"] > 0, row
        assert row["total_ms"] == pytest.approx(row["time_ms"] * RUNS)
    assert sum(row["total_ms"] for row in profile) < wall_ms
    assert sum(row["percent"] for row in profile) == pytest.approx(100.0)


def test_per_op_totals_equal_the_sum_of_their_nodes():
    it = _ready()
    for _ in range(RUNS):
        it.invoke()
    nodes = it.get_profile(by="node")
    ops = it.get_profile(by="op")
    assert sorted(row["op"] for row in ops) == sorted(op for _, op in EXPECTED)
    times = [row["time_ms"] for row in ops]
    assert times == sorted(times, reverse=True)
    for row in ops:
        mine = [n for n in nodes if n["op"] == row["op"]]
        assert row["count"] == len(mine)
        assert row["time_ms"] == pytest.approx(sum(n["time_ms"] for n in mine))
        assert row["total_ms"] == pytest.approx(sum(n["total_ms"] for n in mine))
    assert sum(row["percent"] for row in ops) == pytest.approx(100.0)
    assert sum(r["time_ms"] for r in ops) == pytest.approx(sum(n["time_ms"] for n in nodes))


def test_profiling_does_not_change_outputs():
    plain = _ready(profile=False)
    plain.invoke()
    profiled = _ready()
    profiled.invoke()
    np.testing.assert_array_equal(_output(profiled), _output(plain))


def test_off_by_default_and_after_disable_it_raises_clearly():
    it = _ready(profile=False)
    assert not it.profiling
    it.invoke()
    with pytest.raises(RuntimeError, match=r"profile\(True\)"):
        it.get_profile()
    with pytest.raises(RuntimeError, match="profiling is off"):
        it.reset_profile()
    it.profile(True)
    assert it.profiling
    it.invoke()
    assert len(it.get_profile()) == len(EXPECTED)
    it.profile(False)
    assert not it.profiling
    it.invoke()  # still runs, untimed
    with pytest.raises(RuntimeError, match=r"profile\(True\)"):
        it.get_profile(by="op")


def test_reset_enable_twice_and_allocate_start_from_zero():
    it = _ready()
    it.invoke()
    it.invoke()
    it.profile(True)  # already on: keeps the counts
    assert {row["invokes"] for row in it.get_profile()} == {2}
    it.reset_profile()
    assert {row["invokes"] for row in it.get_profile()} == {0}
    assert {row["time_ms"] for row in it.get_profile()} == {0.0}
    assert {row["percent"] for row in it.get_profile(by="op")} == {0.0}
    it.invoke()
    assert {row["invokes"] for row in it.get_profile()} == {1}
    it.allocate_tensors()  # a new plan: counts start again
    assert {row["invokes"] for row in it.get_profile()} == {0}


def test_enabled_before_allocate_has_no_entries_until_then():
    it = Interpreter(model_content=MODEL)
    it.profile(True)
    assert it.get_profile() == []
    assert it.get_profile(by="op") == []
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], X)
    it.invoke()
    assert [(row["index"], row["op"]) for row in it.get_profile()] == EXPECTED


def test_bad_by_argument():
    it = _ready()
    with pytest.raises(ValueError, match='"node" or "op"'):
        it.get_profile(by="type")


def test_closed_interpreter():
    it = _ready()
    it.close()
    with pytest.raises(ValueError, match="closed"):
        it.get_profile()
    with pytest.raises(ValueError, match="closed"):
        it.profile(True)


# ---- litert-run --profile ------------------------------------------------------------------

NODE_ROW = re.compile(r"^\s+(\d+)\s+(\S+)\s+(\d+\.\d+)\s+(\d+\.\d+)$")
OP_ROW = re.compile(r"^\s+([A-Z_0-9]+)\s+(\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)$")


def _parse_profile(stdout: str):
    lines = stdout.splitlines()
    by_node = lines.index("profile by node:")
    by_op = lines.index("profile by op:")
    nodes = [NODE_ROW.match(line) for line in lines[by_node + 2:by_op]]
    ops = [OP_ROW.match(line) for line in lines[by_op + 2:]]
    assert all(nodes) and all(ops), stdout
    total = float(re.search(r"^profile total: (\d+\.\d+) ms$", stdout, re.M).group(1))
    return ([(int(m[1]), m[2], float(m[3]), float(m[4])) for m in nodes],
            [(m[1], int(m[2]), float(m[3]), float(m[4])) for m in ops], total)


@pytest.mark.parametrize("threads", [1, 2])
def test_litert_run_profile_tables(litert_run, tmp_path, threads):
    path = tmp_path / "cnn.tflite"
    path.write_bytes(MODEL)
    result = subprocess.run([str(litert_run), str(path), "--runs", "4", "--warmup", "1",
                             "--threads", str(threads), "--profile"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    nodes, ops, total = _parse_profile(result.stdout)
    assert sorted((n, op) for n, op, _, _ in nodes) == EXPECTED
    assert [ms for _, _, ms, _ in nodes] == sorted((ms for _, _, ms, _ in nodes), reverse=True)
    assert all(ms > 0 for _, _, ms, _ in nodes)
    assert sum(p for *_, p in nodes) == pytest.approx(100.0, abs=0.05)
    assert sorted(op for op, *_ in ops) == sorted(op for _, op in EXPECTED)
    assert sum(count for _, count, _, _ in ops) == len(EXPECTED)
    assert sum(ms for _, _, ms, _ in ops) == pytest.approx(total, abs=1e-5)
    assert sum(p for *_, p in ops) == pytest.approx(100.0, abs=0.05)
    # Node times are measured inside the timed invokes, so their mean per invoke is at most
    # the mean latency (both printed with 6 decimals).
    mean = float(re.search(r"^latency mean: (\S+) ms$", result.stdout, re.M).group(1))
    assert 0 < total <= mean + 1e-5


def test_litert_run_without_profile_prints_no_table(litert_run, tmp_path):
    path = tmp_path / "cnn.tflite"
    path.write_bytes(MODEL)
    result = subprocess.run([str(litert_run), str(path), "--runs", "2"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "profile" not in result.stdout
    help_text = subprocess.run([str(litert_run), "--help"], capture_output=True, text=True,
                               timeout=60).stdout
    assert "--profile" in help_text

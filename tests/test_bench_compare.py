"""Smoke test of bench/compare.py (litert vs TensorFlow Lite benchmark): its machinery on tiny
models, so that the script keeps working. The real models (MobileNetV2, ResNet50, ...) take
minutes to generate (and even the MLP needs Keras and TensorFlow loaded), so they are not
built here: a tiny one-op model written with tests/tflite_builder.py stands in for them."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from tflite_builder import ModelBuilder

pytest.importorskip("ai_edge_litert")

_SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "compare.py"


@pytest.fixture(scope="module")
def compare():
    spec = importlib.util.spec_from_file_location("bench_compare", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def _fc_model() -> bytes:
    rng = np.random.default_rng(0)
    b = ModelBuilder()
    x = b.input("x", [1, 16], np.float32)
    w = b.constant("w", rng.standard_normal((8, 16)).astype(np.float32))
    bias = b.constant("b", rng.standard_normal(8).astype(np.float32))
    y = b.tensor("y", [1, 8], np.float32)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], "FullyConnectedOptions",
         dict(fused_activation_function=1))
    b.output(y)
    return b.build()


def _parse_table(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    assert rows[0][0] == "model" and len(rows[0]) == 8, rows[0]
    assert all(len(row) == 8 for row in rows), rows
    return rows[2:]


def test_select_by_key_and_prefix(compare):
    keys = [s.key for s in compare.select("mnv2,mlp-f32-litert")]
    assert keys == ["mnv2-f32-tf", "mnv2-f32-litert", "mnv2-int8-tf", "mnv2-int8-litert",
                    "mnv2-dyn-litert", "mlp-f32-litert"]
    assert len(compare.select(None)) == len(compare.SPECS)
    with pytest.raises(ValueError, match="no model matches nope"):
        compare.select("mlp,nope")


def test_benchmark_on_a_tiny_model(compare):
    result = compare.benchmark(_fc_model(), threads=1, repeat=2, warmup=1, feed="dense",
                               batch_seconds=0.001)
    assert result["ours_ms"] > 0 and result["theirs_ms"] > 0
    assert result["ours_min_ms"] <= result["ours_ms"]
    assert result["theirs_min_ms"] <= result["theirs_ms"]
    assert result["ratio"] == pytest.approx(result["ours_ms"] / result["theirs_ms"])
    assert result["max_diff"] < 1e-4  # the same FC in both runtimes
    assert result["out_scale"] > 0
    assert result["batch"] >= 1


def test_main_caches_models_and_prints_a_markdown_table(compare, tmp_path, monkeypatch,
                                                        capsys):
    builds = []

    def build():
        builds.append(1)
        return _fc_model()

    tiny = compare.ModelSpec("tiny-f32-test", "tiny FC", "float32", "test", build, "dense")
    monkeypatch.setattr(compare, "SPECS", [tiny])
    argv = ["--models", "tiny", "--repeat", "2", "--threads", "1,2", "--quick",
            "--models-dir", str(tmp_path)]
    rows = compare.main(argv)
    assert len(rows) == 2 and len(builds) == 1
    table = _parse_table(capsys.readouterr().out)
    assert [row[:4] for row in table] == [["tiny FC", "float32", "test", "1"],
                                          ["tiny FC", "float32", "test", "2"]]
    for row in table:
        float(row[6])  # the ratio
        assert float(row[4].split()[0]) >= 0 and float(row[5].split()[0]) >= 0
    compare.main(argv)  # cached: not built again
    assert len(builds) == 1
    assert [p.name for p in tmp_path.iterdir()] == [f"tiny-f32-test-{compare.CACHE_VERSION}.tflite"]


def test_bad_arguments(compare):
    with pytest.raises(SystemExit):
        compare.main(["--threads", "0"])
    with pytest.raises(SystemExit, match="no model matches"):
        compare.main(["--models", "nope"])

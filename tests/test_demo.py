"""The README's main command runs end to end (on the small model, to stay fast), with both
converters, and reports outputs that agree with Keras."""
import re
import subprocess
import sys

import pytest


@pytest.mark.parametrize("converter", ["litert", "tensorflow"])
def test_demo_runs_and_agrees_with_keras(converter, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "litert.demo", "--model", "cnn", "--runs", "3",
         "--converter", converter, "--save", str(tmp_path / "cnn.tflite")],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for runtime in ("litert", "tflite"):
        match = re.search(rf"max \|{runtime} - keras\| / max \|keras\| = (\S+)", out)
        assert match, out
        assert float(match.group(1)) < 1e-4, out
    assert re.search(r"median ratio litert/tflite = \d", out), out
    assert (tmp_path / "cnn.tflite").stat().st_size > 1000

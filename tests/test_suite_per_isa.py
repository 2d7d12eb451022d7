"""The kernel tests once per lower instruction-set level the CPU supports.

The rest of the suite runs with the best level (AVX-512 VNNI on the CI machine). Here the
tests that check single kernels against NumPy and TensorFlow Lite, and the thread-count tests,
run again in a subprocess with LITERT_ISA capping the level (avx512, avx2, portable), so every
dispatch path is checked against the independent references, not only against each other
(tests/test_simd_*.py compare each SIMD level with the portable kernels directly)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import litert

TESTS = Path(__file__).resolve().parent
KERNEL_TESTS = [f"tests/{name}" for name in sorted(p.name for p in TESTS.glob("test_kernels_*.py")) + [
    "test_threads.py", "test_threads_more.py", "test_sparse.py", "test_sparse_conv.py"]]
LOWER_LEVELS = litert.isa_levels()[:-1]


@pytest.mark.parametrize("level", LOWER_LEVELS or [pytest.param(None, marks=pytest.mark.skip(
    reason="only the portable kernels on this CPU: the main run covers them"))])
def test_kernel_tests_pass_with_level_forced(level):
    # From the repository root, as the README's command runs, so the same litert is imported.
    env = dict(os.environ, LITERT_ISA=level)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *KERNEL_TESTS],
        cwd=TESTS.parent, env=env, capture_output=True, text=True)
    assert result.returncode == 0, (
        f"kernel tests failed with LITERT_ISA={level}:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}")

"""Shared pytest setup: make tests/ importable and keep TensorFlow quiet."""

from __future__ import annotations

import importlib.util
import os
import sys
import sysconfig
from pathlib import Path

# Set before anything imports TensorFlow / LiteRT so their C++ logging obeys.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Test helpers (tflite_builder, ...) live next to the tests.
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)


import pytest  # noqa: E402


def pytest_generate_tests(metafunc):
    """`simd_isa`: one run per SIMD instruction-set level this CPU supports (litert's
    isa_levels() without "portable"), for tests that compare those kernels with the portable
    ones."""
    if "simd_isa" in metafunc.fixturenames:
        import litert

        levels = [level for level in litert.isa_levels() if level != "portable"]
        # LITERT_ISA caps every interpreter (tests/test_suite_per_isa.py sets it): a level
        # above the cap would silently run the capped kernels, so only those up to it remain.
        cap = os.environ.get("LITERT_ISA")
        if cap:
            levels = levels[:levels.index(cap) + 1] if cap in levels else []
        if not levels:
            levels = [pytest.param(None, marks=pytest.mark.skip(
                reason="no SIMD level on this CPU (or LITERT_ISA caps them all)"))]
        metafunc.parametrize("simd_isa", levels)


@pytest.fixture(scope="session")
def sanitized_build_dir(tmp_path_factory):
    """The runtime, tools and C tests built once per session with ASan + UBSan."""
    from sanitized_build import build

    return build(tmp_path_factory.mktemp("sanitized-build"))


def _find_binary() -> Path | None:
    env = os.environ.get("LITERT_RUN")
    if env:
        path = Path(env)
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.fail(f"LITERT_RUN={env} is not an executable file")
        return path
    # Every directory of the package (an editable install spreads it over the source tree and
    # site-packages), then site-packages itself, which a source checkout on sys.path shadows.
    spec = importlib.util.find_spec("litert")
    locations = list(spec.submodule_search_locations or []) if spec else []
    paths = sysconfig.get_paths()
    locations += [Path(paths["platlib"]) / "litert", Path(paths["purelib"]) / "litert"]
    for location in locations:
        candidate = Path(location) / "bin" / "litert-run"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def litert_run() -> Path:
    path = _find_binary()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("litert-run not found in CI: `pip install .` must install litert/bin/litert-run")
        pytest.skip("litert-run not found: set LITERT_RUN to a built binary, or `pip install .` "
                    "(which installs litert/bin/litert-run)")
    return path

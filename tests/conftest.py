"""Shared pytest setup: make tests/ importable and keep TensorFlow quiet."""

import os
import sys
from pathlib import Path

# Set before anything imports TensorFlow / LiteRT so their C++ logging obeys.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Test helpers (tflite_builder, ...) live next to the tests.
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def sanitized_build_dir(tmp_path_factory):
    """The runtime, tools and C tests built once per session with ASan + UBSan."""
    from sanitized_build import build

    return build(tmp_path_factory.mktemp("sanitized-build"))

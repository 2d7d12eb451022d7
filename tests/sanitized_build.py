"""Builds the C runtime, its tools and C tests with AddressSanitizer and UndefinedBehaviorSanitizer
in a temporary directory (once per test session), for the C suite and for running Python-level
robustness tests against the sanitized library."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def build(build_dir: Path) -> Path:
    cmake = shutil.which("cmake")
    if cmake is None:
        raise RuntimeError("cmake is not on PATH: pip install cmake")
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    subprocess.run(
        [cmake, "-S", str(REPO), "-B", str(build_dir), *generator, "-DCMAKE_BUILD_TYPE=Debug",
         "-DLITERT_SANITIZE=ON"],
        check=True, capture_output=True, text=True)
    subprocess.run([cmake, "--build", str(build_dir), "-j", str(os.cpu_count() or 2)],
                   check=True, capture_output=True, text=True)
    return build_dir


def asan_runtime() -> str:
    """Path of the compiler's ASan runtime, to LD_PRELOAD into a non-sanitized Python."""
    out = subprocess.run(["cc", "-print-file-name=libasan.so"], capture_output=True, text=True,
                         check=True).stdout.strip()
    if not os.path.isabs(out):
        raise RuntimeError("the C compiler has no AddressSanitizer runtime")
    return out

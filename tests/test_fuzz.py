"""Fuzzing the model loader and interpreter (native/fuzz/README.md).

- The seed corpus (native/fuzz/make_corpus.py) is valid: every seed loads, allocates and runs.
- Every file in native/fuzz/regressions/ (inputs that once crashed the runtime, minimized)
  runs through the sanitized fuzz case without a sanitizer report. Always on: with clang or
  gcc (the replay driver needs no libFuzzer).
- A bounded libFuzzer run (FUZZ_SECONDS) over mutated seeds, built with clang's libFuzzer,
  ASan and UBSan, finds no crash, leak, timeout or undefined behaviour.

The build goes to build/fuzz-<compiler>/ (or $LITERT_FUZZ_BUILD_DIR) and is kept between runs,
so only the first run pays for compiling the sanitized library. Without clang + libFuzzer
(Debian: clang, libclang-rt-14-dev) the fuzz run is skipped, except in CI (CI set), where
.ci/run installs them and a skip would hide a missing package, so it fails instead.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FUZZ_DIR = REPO / "native" / "fuzz"
REGRESSIONS = FUZZ_DIR / "regressions"
FUZZ_SECONDS = 60
# One allocation above this is a bug: the fuzz case caps the plan at 64 MiB, and the files are
# small, so only a request that skipped the cap gets near it (and without the limit such a
# request would take the test machine's memory before anything failed).
MALLOC_LIMIT_MB = 512
# Sanitizer reports are fatal (-fno-sanitize-recover=all); the stack traces make a failure's
# log useful on its own.
SANITIZER_ENV = {
    "ASAN_OPTIONS": f"detect_leaks=1:max_allocation_size_mb={MALLOC_LIMIT_MB}",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def _run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def _libfuzzer_missing(clang: str | None, scratch: Path) -> str | None:
    """Why clang cannot build a libFuzzer + ASan + UBSan program here; None if it can."""
    if clang is None:
        return "clang is not installed (Debian: apt-get install clang libclang-rt-14-dev)"
    src = scratch / "probe.c"
    src.write_text("#include <stddef.h>\n#include <stdint.h>\n"
                   "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\n"
                   "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) "
                   "{ (void)d; (void)n; return 0; }\n")
    probe = _run([clang, "-fsanitize=fuzzer,address,undefined", str(src), "-o",
                  str(scratch / "probe")])
    if probe.returncode != 0:
        return ("clang cannot link libFuzzer with ASan + UBSan (Debian: apt-get install "
                "libclang-rt-dev, i.e. libclang-rt-NN-dev for clang-NN): " + probe.stderr.strip()[-300:])
    return None


def _cmake_build(build_dir: Path, cc: str, targets: list[str]) -> None:
    cmake = shutil.which("cmake")
    if cmake is None:
        pytest.fail("cmake is not on PATH: pip install cmake")
    # A kept build dir keeps the generator it was configured with.
    fresh = not (build_dir / "CMakeCache.txt").exists()
    generator = ["-G", "Ninja"] if fresh and shutil.which("ninja") else []
    configure = _run([cmake, "-S", str(REPO), "-B", str(build_dir), *generator,
                      f"-DCMAKE_C_COMPILER={cc}", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                      "-DLITERT_FUZZ=ON", "-DLITERT_BUILD_TESTS=OFF", "-DLITERT_BUILD_TOOLS=OFF",
                      "-DLITERT_BUILD_EXAMPLES=OFF"])
    assert configure.returncode == 0, configure.stdout[-3000:] + configure.stderr[-3000:]
    build = _run([cmake, "--build", str(build_dir), "-j", "2", "--target", *targets])
    assert build.returncode == 0, build.stdout[-5000:] + build.stderr[-3000:]


@pytest.fixture(scope="module")
def fuzz_build(tmp_path_factory):
    """(build dir, has_libfuzzer): clang with libFuzzer when it works, else the C compiler's
    sanitizers with the replay driver only."""
    scratch = tmp_path_factory.mktemp("fuzz-probe")
    clang = shutil.which("clang")
    missing = _libfuzzer_missing(clang, scratch)
    cc = clang if missing is None else (shutil.which("cc") or "cc")
    name = "clang" if missing is None else "cc"
    build_dir = Path(os.environ.get("LITERT_FUZZ_BUILD_DIR", REPO / "build" / f"fuzz-{name}"))
    targets = ["fuzz_replay"] + (["fuzz_model"] if missing is None else [])
    _cmake_build(build_dir, cc, targets)
    return build_dir / "native" / "fuzz", missing


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("fuzz-seeds")
    result = _run([sys.executable, str(FUZZ_DIR / "make_corpus.py"), str(out)])
    assert result.returncode == 0, result.stdout + result.stderr
    seeds = sorted(out.glob("*.tflite"))
    assert len(seeds) >= 30, f"only {len(seeds)} seeds"
    assert all(p.stat().st_size <= 100 * 1024 for p in seeds)
    return out


def _replay(fuzz_dir: Path, files: list[Path]) -> subprocess.CompletedProcess:
    return _run([str(fuzz_dir / "fuzz_replay"), *map(str, files)],
                env={**os.environ, **SANITIZER_ENV}, timeout=120)


def test_seeds_run(fuzz_build, seed_dir):
    """Every seed gets through load, allocate and both invokes (loops: allocate): a seed the
    runtime rejects would only teach the fuzzer the verifier's first error."""
    fuzz_dir, _ = fuzz_build
    seeds = sorted(seed_dir.glob("*.tflite"))
    result = _replay(fuzz_dir, seeds)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    lines = result.stdout.splitlines()
    assert len(lines) == len(seeds)
    # Loops are prepared but never invoked by the fuzz case (fuzz_one.c: unbounded_work).
    not_run = [line for line in lines if ": ran: " not in line
               and not (Path(line.split(":")[0]).name.startswith("while_")
                        and ": allocated, not invoked" in line)]
    assert not not_run, "\n".join(not_run)


def test_regressions(fuzz_build):
    """The minimized crash inputs found by fuzzing run without a sanitizer report (each is
    expected to be rejected with an error or to run; crashing is the bug that was fixed)."""
    fuzz_dir, _ = fuzz_build
    files = sorted(REGRESSIONS.glob("*.tflite"))
    if not files:
        pytest.skip("no regression inputs in native/fuzz/regressions/")
    result = _replay(fuzz_dir, files)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert len(result.stdout.splitlines()) == len(files), result.stdout


def test_fuzz_bounded_run(fuzz_build, seed_dir, tmp_path):
    fuzz_dir, missing = fuzz_build
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"libFuzzer unavailable in CI ({missing}): .ci/run must install it")
        pytest.skip(missing)
    corpus = tmp_path / "corpus"
    shutil.copytree(seed_dir, corpus)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    cmd = [str(fuzz_dir / "fuzz_model"), f"-max_total_time={FUZZ_SECONDS}", "-rss_limit_mb=2048",
           f"-malloc_limit_mb={MALLOC_LIMIT_MB}", "-timeout=10", "-print_final_stats=1",
           f"-dict={FUZZ_DIR / 'tflite.dict'}", f"-artifact_prefix={artifacts}/", str(corpus)]
    result = _run(cmd, env={**os.environ, **SANITIZER_ENV}, timeout=FUZZ_SECONDS + 120)
    found = sorted(p.name for p in artifacts.iterdir())
    log = result.stderr[-8000:]
    assert result.returncode == 0 and not found, (
        f"fuzzing found {found or 'a failure'} (exit {result.returncode}); reproduce with "
        f"{fuzz_dir / 'fuzz_replay'} <file>, minimize with fuzz_model -minimize_crash=1 "
        f"-runs=10000 <file>, then add it to native/fuzz/regressions/\n{log}")
    assert "Done" in result.stderr, log

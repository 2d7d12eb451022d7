"""The C tests (ctest) built with AddressSanitizer and UndefinedBehaviorSanitizer, warnings as
errors: any memory error, undefined behaviour or failed check fails this test."""
import subprocess


def test_ctest_under_sanitizers(sanitized_build_dir):
    result = subprocess.run(["ctest", "--test-dir", str(sanitized_build_dir), "--output-on-failure"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "tests passed" in result.stdout

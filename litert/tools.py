"""Entry points of the command-line tools installed with the package.

`pip install .` puts the C program litert-run inside the package (litert/bin/litert-run, see
the root CMakeLists.txt); the `litert-run` console script installed by pip runs this module,
which replaces the Python process with that program, passing the arguments through.
"""

import os
import sys

from ._locate import find_package_file

_TOOL = "litert-run.exe" if sys.platform == "win32" else "litert-run"


def find_litert_run():
    """Path of the installed litert-run program, or None."""
    path, _ = find_package_file(f"bin/{_TOOL}")
    return path if path is not None and os.access(path, os.X_OK) else None


def litert_run_main():
    program = find_litert_run()
    if program is None:
        sys.exit(
            f"litert-run: the {_TOOL} program was not found in litert/bin/ of the installed "
            "package. Reinstall with `pip install .` from the repository root (it builds the "
            "C tools), or run <build>/native/litert-run from a CMake build."
        )
    os.execv(program, [program] + sys.argv[1:])

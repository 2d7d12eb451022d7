"""Finds files that `pip install .` puts inside the package (the native library, the tools).

An installed package has them next to its Python files. Two other layouts happen in practice:
  - an editable install (scikit-build-core's redirect mode) spreads the package over the source
    tree and site-packages, so every entry of the package's __path__ is searched;
  - running from the repository root (`python -m pytest` puts the source tree's litert/, which
    holds no built files, ahead of an installed copy), so the files of the installed `litert`
    distribution are searched last.
"""

import importlib.metadata
import os
import sys

_PACKAGE = __name__.rpartition(".")[0]


def package_dirs():
    """Directories the `litert` package is spread over, this file's own included."""
    package = sys.modules.get(_PACKAGE)
    dirs = [os.fspath(p) for p in getattr(package, "__path__", None) or []]
    here = os.path.dirname(os.path.abspath(__file__))
    return dirs + ([here] if here not in dirs else [])


def installed_package_file(relative_path):
    """Path of a file of the installed `litert` distribution (relative_path like
    "litert/liblitert.so"), or None when nothing is installed or it has no such file."""
    try:
        distribution = importlib.metadata.distribution(_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in distribution.files or []:
        if file.as_posix() == relative_path:
            path = os.fspath(file.locate())
            return path if os.path.isfile(path) else None
    return None


def find_package_file(relative_path):
    """(path or None, [places looked at]) for a path relative to the package directory, such
    as "liblitert.so" or "bin/litert-run"."""
    searched = []
    for directory in package_dirs():
        candidate = os.path.join(directory, *relative_path.split("/"))
        if os.path.isfile(candidate):
            return candidate, searched
        searched.append(candidate)
    installed = installed_package_file(f"{_PACKAGE}/{relative_path}")
    if installed is not None:
        return installed, searched
    searched.append(f"the files of an installed {_PACKAGE} distribution")
    return None, searched

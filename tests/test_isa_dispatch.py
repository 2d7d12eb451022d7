"""Instruction-set dispatch: levels reported, capped by the option and by LITERT_ISA."""

import os
import subprocess
import sys

import numpy as np
import pytest

import litert
from litert.interpreter import ISA_LEVELS
from tflite_builder import ModelBuilder


def _add_model():
    b = ModelBuilder()
    x = b.input("x", [1, 8], np.float32)
    y = b.input("y", [1, 8], np.float32)
    out = b.tensor("out", [1, 8], np.float32)
    b.op("ADD", [x, y], [out], "AddOptions", {})
    b.output(out)
    return b.build()


def test_levels_start_with_portable_and_follow_order():
    levels = litert.isa_levels()
    assert levels[0] == "portable"
    assert levels == sorted(levels, key=ISA_LEVELS.index)
    # one architecture's ladder only
    assert not ({"avx2", "neon"} <= set(levels))


def test_best_level_is_used_and_option_caps_it():
    model = _add_model()
    best = litert.isa_levels()[-1]
    assert litert.Interpreter(model_content=model).isa == best
    for level in litert.isa_levels():
        assert litert.Interpreter(model_content=model, isa=level).isa == level


def test_unknown_isa_is_a_clear_error():
    with pytest.raises(ValueError, match="isa should be None or one of"):
        litert.Interpreter(model_content=_add_model(), isa="sse9")


def test_level_of_another_architecture_means_portable():
    model = _add_model()
    foreign = "neon" if "avx2" in litert.isa_levels() else "avx2"
    assert litert.Interpreter(model_content=model, isa=foreign).isa == "portable"


def _isa_under_env(value):
    code = ("import litert, sys; from tflite_builder import ModelBuilder\n"
            "from test_isa_dispatch import _add_model\n"
            "try:\n    print(litert.Interpreter(model_content=_add_model()).isa)\n"
            "except ValueError as e:\n    print('error:', e)\n")
    env = dict(os.environ, LITERT_ISA=value, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(__file__))
    return out.stdout.strip()


def test_environment_variable_caps_the_level():
    assert _isa_under_env("portable") == "portable"
    assert "LITERT_ISA is 'bogus'" in _isa_under_env("bogus")
    # A cap above what the CPU has changes nothing.
    assert _isa_under_env("avx512vnni") == litert.isa_levels()[-1]

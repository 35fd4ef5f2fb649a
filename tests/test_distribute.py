import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kerasgan import distribute

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.mark.parametrize("penalty", ["none", "gp"])
def test_mirrored_two_cpus_matches_one_device(penalty):
    result = subprocess.run([sys.executable, str(SCRIPTS / "mirrored_equivalence.py"), penalty],
                            capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode == 0, result.stderr[-3000:]
    match = re.search(r"MAXDIFF (\S+) SCALE (\S+)", result.stdout)
    assert match, result.stdout
    assert float(match.group(1)) < 1e-5, result.stdout
    losses = [float(v) for v in re.search(r"LOSSES (.*)", result.stdout).group(1).split()]
    assert abs(losses[0] - losses[1]) < 1e-4 and abs(losses[2] - losses[3]) < 1e-4, losses


def test_strategy_selection_and_errors(monkeypatch):
    import tensorflow as tf

    assert isinstance(distribute.get_strategy("cpu"), tf.distribute.OneDeviceStrategy)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.delenv("KERASGAN_TPU", raising=False)
    assert isinstance(distribute.get_strategy("auto"), tf.distribute.OneDeviceStrategy)
    with pytest.raises(RuntimeError, match="sees no GPU"):
        distribute.get_strategy("gpu")
    with pytest.raises(RuntimeError, match="needs TF_CONFIG"):
        distribute.get_strategy("multiworker")
    with pytest.raises(ValueError, match="Unknown strategy 'mirorred'. Did you mean: mirrored"):
        distribute.get_strategy("mirorred")
    with pytest.raises(RuntimeError, match="No TPU could be reached"):
        distribute.get_strategy("tpu")

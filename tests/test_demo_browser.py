"""The zoo demo in a real browser: Debian's Chromium, headless, driven through Selenium
and Debian's chromedriver (nothing downloads a browser). It picks a model, changes the
seed, enters a caption and uploads an image, and checks that the page's PNGs are what
`generate` / `translate` give for the same inputs. Skipped, saying why, where Chromium,
its driver or the demo extra are absent."""

import io
import os
import shutil
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("gradio", reason="the demo extra (pip install 'kerasgan[demo]')")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="Debian's chromium and chromium-driver are not installed "
                                       "(scripts/setup_data.sh installs them as root)")

import kerasgan  # noqa: E402
from kerasgan import demo  # noqa: E402
from kerasgan.utils import image_grid  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

MODELS = ["dcgan-fashion-mnist", "stackgan-glyphs", "pix2pix-fashion-mnist-edges"]
SCREENSHOT = os.environ.get("KERASGAN_DEMO_SCREENSHOT")  # e.g. docs/demo.png


@pytest.fixture(scope="module")
def page():
    app = demo.launch(MODELS, block=False)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1400,2400", "--no-first-run", "--disable-extensions",
                 "--disable-background-networking", "--disable-component-update"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER),
                               options=options)
    browser.set_page_load_timeout(60)
    try:
        browser.get(app.local_url)
        WebDriverWait(browser, 60).until(ready.element_to_be_clickable((By.CSS_SELECTOR, "#run")))
        yield app, browser
    finally:
        browser.quit()
        app.close()


def result_png(browser, previous=None, timeout=300):
    """The result image's bytes once it is there (and differs from `previous`)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        images = browser.find_elements(By.CSS_SELECTOR, "#result img")
        source = images[0].get_attribute("src") if images else None
        if source and source != previous:
            with urllib.request.urlopen(source, timeout=10) as response:
                return source, np.asarray(Image.open(io.BytesIO(response.read())))
        message = browser.find_element(By.CSS_SELECTOR, "#message").text
        assert "Error" not in message, message
        time.sleep(0.5)
    pytest.fail("no result image appeared")


def set_number(browser, selector, value):
    field = browser.find_element(By.CSS_SELECTOR, f"{selector} input")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(str(value), Keys.TAB)


def choose(browser, selector, value):
    field = browser.find_element(By.CSS_SELECTOR, f"{selector} input")
    field.click()
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(value)
    time.sleep(0.5)
    field.send_keys(Keys.ENTER)
    time.sleep(1.5)  # the page updates the model's controls


def run(browser):
    browser.find_element(By.CSS_SELECTOR, "#run").click()


def test_seed_caption_and_upload_change_the_page_as_generate_does(page, tmp_path):
    app, browser = page
    # The first model, a new seed, fewer images.
    set_number(browser, "#seed", 7)
    set_number(browser, "#count", 4)
    run(browser)
    source, shown = result_png(browser)
    gan = kerasgan.load("dcgan-fashion-mnist")
    np.testing.assert_array_equal(shown, demo.enlarge(image_grid(gan.generate(4, seed=7))))
    set_number(browser, "#seed", 8)
    run(browser)
    source, other = result_png(browser, previous=source)
    np.testing.assert_array_equal(other, demo.enlarge(image_grid(gan.generate(4, seed=8))))
    if SCREENSHOT:
        browser.save_screenshot(SCREENSHOT)

    # Text to image: a caption.
    choose(browser, "#model", "stackgan-glyphs")
    caption = browser.find_element(By.CSS_SELECTOR, "#caption textarea")
    caption.clear()
    caption.send_keys("latin small letter b")
    set_number(browser, "#count", 4)
    run(browser)
    source, shown = result_png(browser, previous=source)
    stackgan = kerasgan.load("stackgan-glyphs")
    seed = int(browser.find_element(By.CSS_SELECTOR, "#seed input").get_attribute("value"))
    np.testing.assert_array_equal(shown, demo.enlarge(image_grid(
        stackgan.generate(4, captions="latin small letter b", seed=seed))))

    # Image to image: an upload, with the source beside the translation.
    choose(browser, "#model", "pix2pix-fashion-mnist-edges")
    edges, _ = kerasgan.data.load_pairs("fashion-mnist-edges", "test")
    path = tmp_path / "edges.png"
    Image.fromarray(edges[3][..., 0]).save(path)
    browser.find_element(By.CSS_SELECTOR, "#source input[type=file]").send_keys(str(path))
    time.sleep(2)
    run(browser)
    source, shown = result_png(browser, previous=source)
    pix2pix = kerasgan.load("pix2pix-fashion-mnist-edges")
    expected = image_grid(np.stack([edges[3], pix2pix.translate(edges[3:4])[0]]), rows=1)
    np.testing.assert_array_equal(shown, demo.enlarge(expected))


def test_a_bad_caption_is_a_message_and_the_page_lives_on(page):
    app, browser = page
    choose(browser, "#model", "stackgan-glyphs")
    caption = browser.find_element(By.CSS_SELECTOR, "#caption textarea")
    caption.clear()
    caption.send_keys("latin small lettr b")
    run(browser)
    deadline = time.time() + 60
    while time.time() < deadline:
        text = browser.find_element(By.CSS_SELECTOR, "#message").text
        if text:
            break
        time.sleep(0.5)
    assert "lettr -> letter" in text, text
    caption.clear()
    caption.send_keys("digit seven")
    run(browser)
    deadline = time.time() + 60
    while time.time() < deadline and browser.find_element(By.CSS_SELECTOR, "#message").text:
        time.sleep(0.5)
    assert browser.find_element(By.CSS_SELECTOR, "#message").text == ""

"""What `import kerasgan` offers, as the README and docs use it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import kerasgan
from gan_test_case import tiny_gan

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_export_is_the_module_and_callable(tmp_path):
    # docs/serving.md: kerasgan.export.rest_request builds a TF Serving request body.
    body = kerasgan.export.rest_request("serving_default", {"latents": np.zeros((2, 3))})
    assert body == {"signature_name": "serving_default", "inputs": {"latents": [[0.0] * 3] * 2}}
    assert kerasgan.export.FORMATS == ("saved_model", "tflite", "onnx")
    # README: kerasgan.export(gan, path, ...) exports.
    path = kerasgan.export(tiny_gan("dcgan"), tmp_path, model_name="m")
    assert path == tmp_path / "m" / "1" and (path / "saved_model.pb").is_file()
    from kerasgan.export import export

    assert callable(export) and export.__doc__ in kerasgan.export.__call__.__doc__


def test_metrics_and_export_reachable_after_import_kerasgan_alone():
    code = ("import kerasgan; print(kerasgan.metrics.evaluate.__name__, "
            "kerasgan.export.rest_request.__name__, callable(kerasgan.export))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["evaluate", "rest_request", "True"]


def test_readme_install_line_matches_the_makefile():
    def extras(text, where):
        found = re.findall(r'pip install (?:--quiet )?-e "\.\[([a-z,]+)\]"', text)
        assert found, f"no `pip install -e \".[...]\"` in {where}"
        return set(found[0].split(","))

    readme = (REPO_ROOT / "README.md").read_text()
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert extras(readme, "README.md") == extras(makefile, "Makefile")

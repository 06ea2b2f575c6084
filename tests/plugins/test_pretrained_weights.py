"""Pretrained weights the way the libraries fetch them, and a quick one-line answer offline.

Nothing here downloads from the internet: the online paths run against a server on 127.0.0.1
(timm's hub as ``HF_ENDPOINT``, clean-fid's Inception URL), the offline ones against a closed
local port or with ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ganlab.config import FidConfig
from ganlab.errors import WeightsError
from ganlab.metrics import inception_notice, plan_training_fid, resolve_inception_weights

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class _Files(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files`` (URL path suffix -> bytes) with the headers the hub sends."""

    def _head(self) -> bytes | None:
        self.server.seen.append(self.path)  # type: ignore[attr-defined]
        path = self.path.split("?")[0]
        data = next((d for k, d in self.server.files.items()  # type: ignore[attr-defined]
                     if path.endswith(k)), None)
        if data is None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self.send_response(200)
        self.send_header("X-Repo-Commit", "a" * 40)
        self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        return data

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
        self._head()

    def do_GET(self) -> None:  # noqa: N802
        data = self._head()
        if data is not None:
            self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def serve(files: dict[str, bytes]) -> http.server.ThreadingHTTPServer:
    """A file server on 127.0.0.1 (a free port) in a daemon thread; ``.seen`` lists requests."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    server.files, server.seen = files, []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: connections are refused


# -- clean-fid's Inception -------------------------------------------------------------------
@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """clean-fid's cache (the system temp folder) in tmp_path, no path given, switch unset."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    for name in ("GANLAB_INCEPTION_WEIGHTS", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    yield folder


def test_inception_is_downloaded_once_into_clean_fids_cache(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleanfid import downloads_helper

    server = serve({"/inception-2015-12-05.pt": b"torchscript bytes"})
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics/inception-2015-12-05.pt"
        monkeypatch.setattr(downloads_helper, "inception_url", url)
        assert inception_notice(FidConfig()) is None  # online: no skip notice, file fetched
        got = resolve_inception_weights(None)
        assert got == cache / "inception-2015-12-05.pt"
        assert got.read_bytes() == b"torchscript bytes"
        assert server.seen == ["/metrics/inception-2015-12-05.pt"]  # cached: fetched once
        assert not list(cache.glob(".inception-download-*"))  # no partial download left behind
        given = cache / "mine.pt"
        given.write_bytes(b"x")
        assert resolve_inception_weights(given) == given  # a path given wins over the cache
    finally:
        server.shutdown()


def test_inception_offline_is_one_quick_line_and_fid_is_skipped(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleanfid import downloads_helper

    monkeypatch.setattr(downloads_helper, "inception_url",
                        f"http://127.0.0.1:{closed_port()}/inception-2015-12-05.pt")
    start = time.perf_counter()
    with pytest.raises(WeightsError, match="offline.*nvlabs-fi-cdn") as err:
        resolve_inception_weights(None)
    assert time.perf_counter() - start < 5
    assert "\n" not in str(err.value)
    scorer, reason = plan_training_fid(FidConfig(backbone="auto"))
    assert scorer is None and "no Inception weights" in reason
    assert "skipped" in (inception_notice(FidConfig()) or "")
    with pytest.raises(WeightsError):
        plan_training_fid(FidConfig(backbone="inception"))


def test_a_failed_inception_download_is_one_line_and_leaves_no_file(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleanfid import downloads_helper

    server = serve({})  # answers 404
    try:
        monkeypatch.setattr(downloads_helper, "inception_url",
                            f"http://127.0.0.1:{server.server_port}/inception-2015-12-05.pt")
        with pytest.raises(WeightsError, match="failed.*404") as err:
            resolve_inception_weights(None)
        assert "\n" not in str(err.value)
        assert not (cache / "inception-2015-12-05.pt").exists()
        assert not list(cache.glob(".inception-download-*"))
    finally:
        server.shutdown()


def test_the_offline_switch_stops_the_inception_download(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleanfid import downloads_helper

    server = serve({"/inception-2015-12-05.pt": b"torchscript bytes"})
    try:
        monkeypatch.setattr(downloads_helper, "inception_url",
                            f"http://127.0.0.1:{server.server_port}/inception-2015-12-05.pt")
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        with pytest.raises(WeightsError, match="offline"):
            resolve_inception_weights(None)
        assert server.seen == []
    finally:
        server.shutdown()


# -- timm's hub weights (a subprocess: the hub reads HF_ENDPOINT when it is imported) ---------
HUB_SCRIPT = r"""
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from test_pretrained_weights import serve
tmp = Path(sys.argv[1])
import torch
from safetensors.torch import save_file
server = serve({})
os.environ["HF_ENDPOINT"] = f"http://127.0.0.1:{server.server_port}"
import timm
from ganlab.errors import WeightsError
from ganlab.registry import CLASSIFIERS
source = timm.create_model("test_resnet", num_classes=1000)
save_file({k: v.contiguous() for k, v in source.state_dict().items()}, str(tmp / "w.st"))
server.files["/model.safetensors"] = (tmp / "w.st").read_bytes()
struct = dict(num_classes=2, image_size=32, channels=3, model="test_resnet", pretrained=True)
online = CLASSIFIERS.create("timm", **struct)
requests = list(server.seen)
server.shutdown()
server.server_close()
start = time.perf_counter()
cached = CLASSIFIERS.create("timm", **struct)  # the hub is unreachable now: the cache serves
offline_s = time.perf_counter() - start
start = time.perf_counter()
try:
    CLASSIFIERS.create("timm", **{**struct, "model": "resnet18"})
    message = None
except WeightsError as exc:
    message = str(exc)
first = next(iter(source.state_dict()))  # the stem's first convolution
print(json.dumps({
    "online_equal": torch.equal(online.state_dict()[first], source.state_dict()[first]),
    "cached_equal": torch.equal(cached.state_dict()[first], source.state_dict()[first]),
    "head": online.get_classifier().out_features, "requests": requests,
    "offline_s": offline_s, "message": message, "message_s": time.perf_counter() - start,
    "cache": sorted(p.name for p in (tmp / "hf" / "hub").iterdir()),
}))
"""


@pytest.mark.slow  # a subprocess that imports torch and timm (about 10 s)
def test_timm_pretrained_downloads_into_the_hub_cache_and_reads_it_offline(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT")}
    env.update(HF_HOME=str(tmp_path / "hf"), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", HUB_SCRIPT, str(tmp_path),
                           str(Path(__file__).parent)], env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["online_equal"] and out["cached_equal"] and out["head"] == 2
    assert any(r.startswith("/timm/test_resnet.r160_in1k/resolve/main/model.safetensors")
               for r in out["requests"])
    assert "models--timm--test_resnet.r160_in1k" in out["cache"]  # the hub's own layout
    assert out["offline_s"] < 10
    assert out["message"] and "offline" in out["message"] and 'weights = "PATH"' in out["message"]
    assert out["message_s"] < 5 and "\n" not in out["message"]

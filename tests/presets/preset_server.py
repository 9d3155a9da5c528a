"""A local http.server (127.0.0.1, a thread) serving preset files in tests.

Tests never use the network: downloads are tested against this server,
which serves a directory, and can be told to cut a file short or to
stall in the middle of it.
"""

import functools
import http.server
import json
import shutil
import threading
from pathlib import Path

from tests.fixtures.make_tiny_elmo import write_tiny_elmo


def write_tiny_preset(directory, seed=0, layer_mix=True, **kwargs):
    """A preset directory of a tiny random ELMo (tests/fixtures format).

    Returns:
        The directory as a `Path`.
    """
    directory = Path(directory)
    options, weights = write_tiny_elmo(directory / "src", seed=seed, **kwargs)
    shutil.move(options, directory / "options.json")
    shutil.move(weights, directory / "weights.hdf5")
    shutil.rmtree(directory / "src")
    (directory / "metadata.json").write_text(
        json.dumps({"name": "tiny", "language": "en", "seed": seed})
    )
    if layer_mix:
        num_layers = kwargs.get("n_layers", 2) + 1
        (directory / "layer_mix.json").write_text(
            json.dumps(
                {
                    "scalar_weights": [float(i) for i in range(num_layers)],
                    "gamma": [0.5],
                }
            )
        )
    return directory


class _Handler(http.server.SimpleHTTPRequestHandler):
    server_version = "PresetTestServer"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        if self.server.error_pages:
            return self._send_error_page()
        name = self.path.rsplit("/", 1)[-1]
        if name in self.server.truncate:
            return self._send_part(name, stall=False)
        if name in self.server.stall:
            return self._send_part(name, stall=True)
        return super().do_GET()

    def _send_error_page(self):
        # What a misconfigured mirror or a captive portal sends: an HTML
        # page with HTTP 200 for every path.
        page = b"<!DOCTYPE html><html><body>Service unavailable</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def _send_part(self, name, stall):
        # Announce the whole file, send half of it, then stop (truncate)
        # or hang until the test releases the server (stall).
        data = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        if stall:
            self.server.release.wait(timeout=60)
        self.close_connection = True


class PresetServer:
    """Serve `root` on 127.0.0.1 from a thread (a context manager).

    Attributes:
        url: `http://127.0.0.1:<port>`.
        requests: the paths requested so far.
        truncate: file names sent only half (then the connection closes).
        stall: file names sent half, then held until `stop()`.
        error_pages: answer every request with an HTML page and HTTP 200.
    """

    def __init__(self, root):
        handler = functools.partial(_Handler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.requests = []
        self.httpd.truncate = set()
        self.httpd.stall = set()
        self.httpd.error_pages = False
        self.httpd.release = threading.Event()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, daemon=True
        )

    @property
    def requests(self):
        return self.httpd.requests

    @property
    def truncate(self):
        return self.httpd.truncate

    @property
    def stall(self):
        return self.httpd.stall

    @property
    def error_pages(self):
        return self.httpd.error_pages

    @error_pages.setter
    def error_pages(self, value):
        self.httpd.error_pages = bool(value)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

"""Shared helpers for mediatag's Python tests.

Servers used by tests start on 127.0.0.1 with a free port, are waited for
until they answer, and are stopped by process id. Nothing here reaches any
other address.
"""
import atexit
import os
import signal
import socket
import subprocess
import sys
import time

SOURCE_ROOT = os.environ.get("MEDIATAG_SOURCE_ROOT",
                             os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_ROOT = os.environ.get("MEDIATAG_BUILD_ROOT", os.path.join(SOURCE_ROOT, "build"))
TEST_DATA = os.path.join(SOURCE_ROOT, "tests", "data")
TOOL = os.environ.get("MEDIATAG_TOOL", os.path.join(BUILD_ROOT, "tools", "mediatag"))

# The local vision models (tools/fetch-models) and the face-api test photos
# (tools/fetch-models --test-media).
MODELS_DIR = os.environ.get("MEDIATAG_MODELS_DIR") or os.path.join(SOURCE_ROOT, "data", "models")
HAVE_MODELS = all(os.path.exists(os.path.join(MODELS_DIR, m)) for m in (
    "blazeface.onnx", "faceres.onnx", "centernet.onnx", "ppocr-det.onnx",
    "emotion.onnx", "nsfw-mobilenet.onnx"))
FACE_DEMO = os.path.join(SOURCE_ROOT, "data", "models", "npm", "face-api-1.7.15", "package", "demo")
CONVERT = "/usr/bin/convert"    # ImageMagick itself, not a stand-in on PATH

# The test environment blanks the developer's AWS variables (meson cannot
# unset them); mediatag reads an empty one as unset, as the SDKs do, but
# boto3 in this process would take AWS_PROFILE="" as a profile name.
for _name in [n for n, v in os.environ.items() if n.startswith("AWS_") and v == ""]:
    del os.environ[_name]

# Servers run in their own sessions, so nothing kills them with the test:
# every one started here is stopped at exit, and meson's SIGTERM (a test
# over its timeout) becomes an exit so that happens then too.
_running = set()
atexit.register(lambda: [srv.stop() for srv in list(_running)])
if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc=None, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited with %s before it answered" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing answered on 127.0.0.1:%d within %.0fs" % (port, timeout))


class Server:
    """A process serving on 127.0.0.1:port; stop() kills it by its pid."""

    def __init__(self, argv, port, env=None, log=None):
        self.port = port
        self.url = "http://127.0.0.1:%d" % port
        self._log = log or open(os.devnull, "wb")
        # Servers are peers, not code under test: no sanitizer runtime in them.
        env = dict(env if env is not None else os.environ)
        env.pop("LD_PRELOAD", None)
        self.proc = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.pid = self.proc.pid
        _running.add(self)
        try:
            wait_for_port(port, self.proc)
        except Exception:
            self.stop()
            raise

    def stop(self):
        _running.discard(self)
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_moto(auth_after=None, log=None):
    """moto on 127.0.0.1. auth_after=N: SigV4 checked after the first N calls
    (see shared TESTING.md); None: any signature accepted."""
    port = free_port()
    env = dict(os.environ)
    if auth_after is not None:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(auth_after)
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return Server(argv, port, env=env, log=log)


def start_python_server(script, *args, env=None, log=None):
    """Runs one of the tests' own loopback servers: `script PORT args...`."""
    port = free_port()
    argv = [sys.executable, script, str(port)] + [str(a) for a in args]
    return Server(argv, port, env=env, log=log)


def boto_client(service, endpoint, region="us-east-1", key="testing", secret="testing"):
    import boto3
    from botocore.config import Config
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(request_checksum_calculation="when_required",
                                      s3={"addressing_style": "path"}))


def gst_env(**extra):
    """The environment for gst-launch-1.0 and the mediatag tool in tests."""
    env = dict(os.environ)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def gst_launch(pipeline, env=None, timeout=300, check=True):
    """Runs gst-launch-1.0 -q -e with a launch line (a string) and returns the
    CompletedProcess; stderr carries GStreamer's error messages."""
    argv = ["gst-launch-1.0", "-q", "-e"] + pipeline_args(pipeline)
    cp = subprocess.run(argv, env=env or gst_env(), capture_output=True, text=True, timeout=timeout)
    if check and cp.returncode != 0:
        raise AssertionError("gst-launch-1.0 failed (%d):\n%s\n%s" % (cp.returncode, pipeline, cp.stderr))
    return cp


def write_pdf(path, contents, media_box=(612, 792)):
    """A born-digital PDF: one page per content stream in `contents` (bytes
    of PDF drawing operators), Helvetica as font /F1."""
    n = len(contents)
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, content in enumerate(contents):
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
                    b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
                    % (media_box[0], media_box[1], 5 + 2 * i))
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    with open(path, "wb") as f:
        f.write(out)


def pipeline_args(pipeline):
    import shlex
    return shlex.split(pipeline)

"""Open an HTML report in headless Chromium: screenshot it and record console errors and requests.

Pure standard library: Chromium is driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: commands on fd 3, replies on fd 4, NUL-separated JSON).

Usage::

    python scripts/screenshot.py REPORT.html OUT.png [--width 1280] [--max-height 2400]

It prints what the page did (console errors, requests other than the file itself and data:
URIs) and exits 1 when there was any, so it doubles as a check in CI.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe")


_TRAMPOLINE = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
               "os.close(int(sys.argv[1])); os.close(int(sys.argv[2])); os.execv(sys.argv[3], sys.argv[3:])")


def find_chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    for path in (os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES):
        if path and os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


@dataclass
class PageResult:
    """What happened when a page was opened."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    section_ids: list[str] = field(default_factory=list)
    finding_codes: list[str] = field(default_factory=list)
    title: str = ""
    png: bytes = b""

    @property
    def clean(self) -> bool:
        """No console error and no request beyond the file itself and data: URIs."""
        return not self.console_errors and not self.requests


class Browser:
    """One headless Chromium driven over a DevTools pipe; use as a context manager."""

    def __init__(self, binary: str | None = None, timeout: float = 30.0) -> None:
        binary = binary or find_chromium()
        if not binary:
            raise FileNotFoundError("no Chromium found (install Debian's `chromium`)")
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="datacheck-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4; a tiny Python trampoline
        # moves our pipe ends there (moved above 9 first, so neither can clobber the other).
        child_r, child_w = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_chrome_r, from_chrome_w))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        cmd = [sys.executable, "-c", _TRAMPOLINE, str(child_r), str(child_w),
               binary, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"]
        self._proc = subprocess.Popen(cmd, pass_fds=(child_r, child_w), stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(child_r)
        os.close(child_w)
        self._next_id = 0
        self._replies: dict[int, dict] = {}
        self._events: queue.Queue = queue.Queue()
        self._lock = threading.Condition()
        self._eof = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read(self) -> None:
        parts: list[bytes] = []
        with os.fdopen(self._from_chrome, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                while (end := chunk.find(b"\0")) >= 0:
                    parts.append(chunk[:end])
                    self._dispatch(json.loads(b"".join(parts)))
                    parts, chunk = [], chunk[end + 1:]
                parts.append(chunk)
        with self._lock:
            self._eof = True
            self._lock.notify_all()

    def _dispatch(self, msg: dict) -> None:
        if "id" in msg:
            with self._lock:
                self._replies[msg["id"]] = msg
                self._lock.notify_all()
        else:
            self._events.put(msg)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and wait for its result; raises RuntimeError on a protocol error."""
        self._next_id += 1
        msg_id = self._next_id
        msg = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        try:
            os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        except BrokenPipeError:
            raise RuntimeError(f"Chromium exited before answering {method}") from None
        deadline = time.monotonic() + self.timeout
        with self._lock:
            while msg_id not in self._replies:
                left = deadline - time.monotonic()
                if self._eof:
                    raise RuntimeError(f"Chromium exited before answering {method}")
                if left <= 0:
                    raise TimeoutError(f"no reply from Chromium to {method}")
                self._lock.wait(left)
            reply = self._replies.pop(msg_id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def open(self, path: str | Path, *, width: int = 1280, max_height: int = 2400,
             screenshot: bool = True) -> PageResult:
        """Load a local HTML file in a fresh tab and report what it did.

        Parameters
        ----------
        path : str or pathlib.Path
            The HTML file.
        width : int, default=1280
            Viewport width in CSS pixels.
        max_height : int, default=2400
            The screenshot covers the page from the top down to this height at most.
        screenshot : bool, default=True
            Whether to capture a PNG.
        """
        url = Path(path).resolve().as_uri()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.send(f"{domain}.enable", session=session)
            self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900,
                      "deviceScaleFactor": 1, "mobile": False}, session=session)
            self._drain()
            self.send("Page.navigate", {"url": url}, session=session)
            result = PageResult(url=url)
            self._wait_load(session, url, result)
            page = self._evaluate(session, """JSON.stringify({
                title: document.title,
                sections: [...document.querySelectorAll('[data-section]')].map(e => e.id),
                codes: [...document.querySelectorAll('article.finding')].map(e => e.dataset.code),
                height: document.documentElement.scrollHeight})""")
            info = json.loads(page)
            result.title = info["title"]
            result.section_ids, result.finding_codes = info["sections"], info["codes"]
            if screenshot:
                height = min(int(info["height"]), max_height)
                self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                          "deviceScaleFactor": 1, "mobile": False}, session=session)
                shot = self.send("Page.captureScreenshot", {"format": "png"}, session=session)
                result.png = base64.b64decode(shot["data"])
            self._collect(session, url, result, wait=0.1)
            return result
        finally:
            self.send("Target.closeTarget", {"targetId": target})

    def _evaluate(self, session: str, expression: str) -> str:
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                          session=session)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"evaluation failed: {reply['exceptionDetails']}")
        return reply["result"]["value"]

    def _drain(self) -> None:
        while not self._events.empty():
            self._events.get_nowait()

    def _wait_load(self, session: str, url: str, result: PageResult) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                msg = self._events.get(timeout=0.1)
            except queue.Empty:
                continue
            if msg.get("sessionId") == session and msg.get("method") == "Page.loadEventFired":
                return
            self._record(msg, session, url, result)
        raise TimeoutError(f"{url} did not finish loading in {self.timeout:.0f} s")

    def _collect(self, session: str, url: str, result: PageResult, wait: float) -> None:
        end = time.monotonic() + wait
        while (left := end - time.monotonic()) > 0:
            try:
                self._record(self._events.get(timeout=left), session, url, result)
            except queue.Empty:
                break

    @staticmethod
    def _record(msg: dict, session: str, url: str, result: PageResult) -> None:
        if msg.get("sessionId") != session:
            return
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
            result.console_errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                                  for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            result.console_errors.append(str(params.get("exceptionDetails", {}).get("text", "exception")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
            entry = params["entry"]
            result.console_errors.append(f"{entry.get('source')}: {entry.get('text')}")
        elif method == "Network.requestWillBeSent":
            req = params.get("request", {}).get("url", "")
            if req != url and not req.startswith("data:"):
                result.requests.append(req)

    def close(self) -> None:
        """Close the browser and remove its profile."""
        if self._proc.poll() is None:
            try:
                self.send("Browser.close")
            except (TimeoutError, RuntimeError, OSError):
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        try:
            os.close(self._to_chrome)
        except OSError:
            pass
        shutil.rmtree(self._profile, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--max-height", type=int, default=2400)
    args = parser.parse_args(argv)
    with Browser() as browser:
        page = browser.open(args.report, width=args.width, max_height=args.max_height)
    args.png.parent.mkdir(parents=True, exist_ok=True)
    args.png.write_bytes(page.png)
    print(f"{args.png}: {len(page.png):,} bytes; sections: {', '.join(page.section_ids)}")
    for err in page.console_errors:
        print(f"console error: {err}", file=sys.stderr)
    for req in page.requests:
        print(f"network request: {req}", file=sys.stderr)
    return 0 if page.clean else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The page at GET / in a real browser (docs/service.md): headless Chromium driven over
the DevTools protocol, against a real hdrec-server on the default bundle.

  1. Opens the deep link /?history=A,B&k=10, waits for the list, and checks that its
     items (data-item-id) are POST /recommend's for the same history, in order.
  2. Types a query into the search box, clicks the first result with the mouse, and
     checks the history, the deep link and the new list (again against POST /recommend).
  3. Fails on any console error or CSP violation; saves a screenshot.
  4. Against a second server with --api-key-file: the page asks for the key, shows the
     list once it is entered, and leaves nothing in storage or cookies.

The protocol runs over --remote-debugging-pipe (fd 3: commands in, fd 4: events and
answers out, each message JSON ended by a NUL), so nothing is installed from PyPI and
nothing listens on a port. Standard library only.

  Tools/browser_test.py --server BIN --artifacts DIR --base GGUF [--screenshot PNG]
scripts/browser-test.sh builds the server and finds the files; run that."""
import argparse
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

SEARCH_TEXT = "dríll bit"  # an accent that no title has: the search must fold it away


def log(msg):
    print(f"[browser-test {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class DevTools:
    """A DevTools-protocol client over Chromium's --remote-debugging-pipe."""

    def __init__(self, chromium, profile):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        args = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                "--disable-background-networking", "--disable-component-update", "--mute-audio",
                "--remote-debugging-pipe", f"--user-data-dir={profile}", "--window-size=1440,1000", "about:blank"]
        # The pipe must be fds 3 and 4 in Chromium: let the shell move them there, through
        # spare numbers first, since os.pipe() may itself have returned 3 or 4.
        script = (f'exec 100<&{to_chrome_r} 101>&{from_chrome_w} {to_chrome_r}<&- {from_chrome_w}>&-; '
                  'exec "$@" 3<&100 4>&101 100<&- 101>&-')
        self.process = subprocess.Popen(["bash", "-c", script, "chromium", *args], pass_fds=(to_chrome_r, from_chrome_w),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._next_id = 0
        self._answers = {}
        self._cond = threading.Condition()
        self.events = queue.Queue()
        self._stderr_tail = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self):
        for line in self.process.stderr:
            self._stderr_tail = (self._stderr_tail + [line.decode(errors="replace").rstrip()])[-20:]

    def _read(self):
        buffer = b""
        while True:
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                with self._cond:
                    self._answers[None] = "closed"
                    self._cond.notify_all()
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self._cond:
                        self._answers[message["id"]] = message
                        self._cond.notify_all()
                else:
                    self.events.put(message)

    def send(self, method, params=None, session=None, timeout=60):
        self._next_id += 1
        ident = self._next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cond:
            while ident not in self._answers:
                if None in self._answers:
                    raise RuntimeError(f"chromium closed the pipe; its stderr ended with: {self._stderr_tail}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{method}: no answer in {timeout} s")
                self._cond.wait(left)
            answer = self._answers.pop(ident)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Page:
    """One tab: evaluate script, wait for a condition, click, type, screenshot."""

    def __init__(self, tools):
        self.tools = tools
        target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1440, "height": 1000, "deviceScaleFactor": 1, "mobile": False})

    def call(self, method, params=None, timeout=60):
        return self.tools.send(method, params, session=self.session, timeout=timeout)

    def eval(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.eval(expression):
                return
            time.sleep(0.1)
        status = self.eval("document.getElementById('results-status').textContent")
        error = self.eval("document.getElementById('error').textContent")
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; status: {status!r}, error: {error!r}")

    def navigate(self, url):
        self.call("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete'", f"{url} to load", timeout=30)

    def click(self, selector):
        """A real mouse click in the middle of the element."""
        box = self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: 'center'}});"
                        " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1})

    def type(self, selector, text):
        """Focus, then text as the keyboard would insert it (input events included)."""
        self.eval(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", {"text": text})

    def screenshot(self, path):
        import base64
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})["data"]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url, body=None, key=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if key:
        headers["Authorization"] = "Bearer " + key
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=120) as response:
        return json.loads(response.read())


def recommended_ids(base_url, history, k, key=None):
    return [item["id"] for item in http_json(base_url + "/recommend", {"history": history, "k": k}, key)["items"]]


def start_server(args, port, logfile, extra=()):
    command = [args.server, "--artifacts", args.artifacts, "--host", "127.0.0.1", "--port", str(port), *extra]
    if args.base:
        command += ["--base", args.base]
    if args.threads:
        command += ["--threads", str(args.threads)]
    server = subprocess.Popen(command, stdout=logfile, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + args.ready_timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"hdrec-server exited with {server.returncode} before it was ready (log: {logfile.name})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"hdrec-server not ready after {args.ready_timeout} s (log: {logfile.name})")


def console_problems(tools):
    """Console errors and CSP reports seen so far."""
    problems = []
    while not tools.events.empty():
        event = tools.events.get()
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            problems.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            problems.append("exception: " + json.dumps(params.get("exceptionDetails", {}))[:300])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            problems.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")
    return problems


def run(args):
    with open(os.path.join(args.artifacts, "catalog.jsonl"), encoding="utf-8") as f:
        catalog = [json.loads(line) for line in f if line.strip()]
    history = [catalog[3]["id"], catalog[202 % len(catalog)]["id"]]
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    work = tempfile.mkdtemp(prefix="hdrec-browser-")
    server = tools = None
    logfile = open(os.path.join(work, "server.log"), "w")
    try:
        started = time.monotonic()
        server = start_server(args, port, logfile)
        log(f"hdrec-server ready on {base_url} in {time.monotonic() - started:.1f} s")
        expected = recommended_ids(base_url, history, 10)
        log(f"POST /recommend {history}: {expected}")

        tools = DevTools(args.chromium, os.path.join(work, "profile"))
        page = Page(tools)
        link = f"{base_url}/?history={','.join(urllib.parse.quote(i, safe='') for i in history)}&k=10"
        log(f"open {link}")
        page.navigate(link)
        page.wait_for("document.getElementById('results').dataset.state === 'ready'", "the top-k list")
        shown = page.eval("[...document.querySelectorAll('#results li')].map(li => li.dataset.itemId)")
        assert shown == expected, f"the page shows {shown}, POST /recommend answers {expected}"
        shown_history = page.eval("[...document.querySelectorAll('#history li')].map(li => li.dataset.itemId)")
        assert shown_history == history, f"history shown {shown_history}, deep link {history}"
        bars = page.eval("document.querySelectorAll('#results li .fill.text').length + document.querySelectorAll('#results li .fill.id').length")
        assert bars == 2 * len(expected), f"{bars} contribution bars for {len(expected)} items"
        versions = page.eval("[document.getElementById('version-text').textContent, document.getElementById('version-id').textContent]")
        ready = http_json(base_url + "/readyz")["adapters"]
        assert versions == [ready["text"], ready["id"]], f"versions shown {versions}, /readyz {ready}"
        metrics_rows = page.eval("document.querySelectorAll('#metrics tbody tr').length")
        assert metrics_rows >= 1, "no metrics rows"
        log(f"deep link: {len(shown)} items equal POST /recommend's; history, bars, versions and metrics shown")

        # Search and click: type, wait for results, click the first with the mouse.
        page.type("#search", SEARCH_TEXT)
        page.wait_for("document.querySelectorAll('#search-results button.add').length > 0", "search results", timeout=30)
        picked = page.eval("document.querySelector('#search-results button.add').dataset.itemId")
        title = page.eval("document.querySelector('#search-results button.add .title').textContent")
        folded = SEARCH_TEXT.replace("í", "i").lower()
        assert folded in title.lower(), f"search {SEARCH_TEXT!r} returned {title!r}"
        page.click("#search-results button.add")
        new_history = history + [picked]
        page.wait_for(f"[...document.querySelectorAll('#history li')].map(li => li.dataset.itemId).join('\\n') === {json.dumps(chr(10).join(new_history))}",
                      "the clicked item in the history", timeout=10)
        page.wait_for(f"location.search.includes('history=' + {json.dumps(','.join(urllib.parse.quote(i, safe='') for i in new_history))})"
                      " && document.getElementById('results').dataset.state === 'ready'", "the list for the new history")
        expected = recommended_ids(base_url, new_history, 10)
        shown = page.eval("[...document.querySelectorAll('#results li')].map(li => li.dataset.itemId)")
        assert shown == expected, f"after the click the page shows {shown}, POST /recommend answers {expected}"
        log(f"search {SEARCH_TEXT!r} and click {picked} ({title[:50]}...): list equals POST /recommend's")

        problems = console_problems(tools)
        assert not problems, "console errors or CSP violations:\n  " + "\n  ".join(problems)
        page.screenshot(args.screenshot)
        log(f"screenshot: {args.screenshot}")

        # The controls, by keyboard: k typed over, the fusion select moved one option down.
        page.eval("document.getElementById('k').select()")
        page.call("Input.insertText", {"text": "5"})
        page.eval("document.getElementById('fusion').focus()")
        for kind in ("keyDown", "keyUp"):
            page.call("Input.dispatchKeyEvent", {"type": kind, "key": "ArrowDown", "code": "ArrowDown", "windowsVirtualKeyCode": 40})
        page.wait_for("location.search.includes('k=5&fusion=id-dominant')"
                      " && document.getElementById('results').dataset.state === 'ready'", "the list for k=5, id-dominant")
        expected = [item["id"] for item in http_json(base_url + "/recommend",
                                                     {"history": new_history, "k": 5, "fusion": "id-dominant"})["items"]]
        shown = page.eval("[...document.querySelectorAll('#results li')].map(li => li.dataset.itemId)")
        assert shown == expected, f"k=5 id-dominant: the page shows {shown}, POST /recommend answers {expected}"
        log(f"k and fusion changed by keyboard: the list follows ({len(shown)} items, id-dominant)")

        # With --api-key-file: the page asks, uses the key, and stores nothing.
        server.terminate()
        server.wait(timeout=30)
        key = "browser-test-" + os.urandom(8).hex()
        with open(os.path.join(work, "keys"), "w") as f:
            f.write(key + "\n")
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = start_server(args, port, logfile, ["--api-key-file", os.path.join(work, "keys")])
        expected = recommended_ids(base_url, history, 10, key)
        page.navigate(f"{base_url}/?history={','.join(urllib.parse.quote(i, safe='') for i in history)}&k=10")
        page.wait_for("!document.getElementById('key-form').hidden", "the API key prompt", timeout=30)
        assert page.eval("document.activeElement.id") == "api-key", "the key field should have the focus"
        page.call("Input.insertText", {"text": key})
        page.click("#key-form button[type=submit]")
        page.wait_for("document.getElementById('results').dataset.state === 'ready'", "the list after entering the key")
        shown = page.eval("[...document.querySelectorAll('#results li')].map(li => li.dataset.itemId)")
        assert shown == expected, f"with a key the page shows {shown}, POST /recommend answers {expected}"
        kept = page.eval("[localStorage.length, sessionStorage.length, document.cookie, document.getElementById('api-key').value]")
        assert kept == [0, 0, "", ""], f"the key left traces: storage, cookie, field = {kept}"
        # The 401s that made the page ask are logged by Chromium as failed loads; nothing else may be.
        problems = [p for p in console_problems(tools) if "401" not in p]
        assert not problems, "console errors or CSP violations:\n  " + "\n  ".join(problems)
        log("with --api-key-file: the page asked for the key, then showed the same list; nothing stored")
        log(f"passed in {time.monotonic() - started:.1f} s")
    except BaseException:
        logfile.flush()
        with open(logfile.name, encoding="utf-8", errors="replace") as f:
            tail = f.read().splitlines()[-15:]
        print("hdrec-server log (last lines):\n  " + "\n  ".join(tail), file=sys.stderr)
        raise
    finally:
        if tools:
            tools.close()
        if server and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        logfile.close()
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True, help="the hdrec-server binary")
    parser.add_argument("--artifacts", required=True, help="the bundle to serve")
    parser.add_argument("--base", help="the base GGUF, for bundles that reference it")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--threads", type=int, help="hdrec-server --threads")
    parser.add_argument("--screenshot", default=".build/browser-test/page.png")
    parser.add_argument("--ready-timeout", type=float, default=180)
    run(parser.parse_args())


if __name__ == "__main__":
    main()

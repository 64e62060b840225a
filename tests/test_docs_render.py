"""The built docs render in a real browser, offline: headless Chromium loads two pages from a
local HTTP server (an API page with math, ``api/info_nce.html``, and the hand-written
``conventions.html``), and the test checks that MathJax typeset the math (``mjx-container``
elements present, no raw TeX such as ``\\frac`` left in the visible text) and that no request
left the machine.

"No request left the machine" is checked three ways: Chromium runs with every host name mapped
to an unresolvable one except 127.0.0.1 (``--host-resolver-rules``) and its browser-level
background services off; its network log (``--log-net-log``) must show every request the page
made going to the local server, and no TCP connection to any address but loopback; and the
local server's own log lists what the page fetched (the MathJax script and fonts among it).

The docs are built by ``nox -s docs`` (into ``docs/_build/html``). The test skips, saying why,
when they are not built or when no ``chromium`` is installed; with
``ARRAYLOSSES_REQUIRE_DOCS_RENDER=1`` (CI) it fails instead. Screenshots of both pages go to a
temporary directory, or to ``ARRAYLOSSES_DOCS_SCREENSHOTS`` when set.

Three more checks read the HTML of every built page, without a browser: no ``mailto:`` link
(docutils makes one of "recall@10"); no link that leaves the site except to arXiv, a DOI, a
peer's documentation or a listed primary source that has neither; and no API page naming a
repository file the site does not publish (README.md's sections, docs/*.md, tests/...).
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import ipaddress
import json
import os
import pathlib
import re
import shutil
import subprocess
import threading
import urllib.parse
from typing import ClassVar

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "docs" / "_build" / "html"
PAGES = ("api/info_nce.html", "conventions.html")
REQUIRED = os.environ.get("ARRAYLOSSES_REQUIRE_DOCS_RENDER") == "1"

# background services of the browser itself (time sync, sign-in, spelling dictionaries...)
# would try to reach Google; they are off, and the resolver rules would stop them anyway
QUIET = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-features=Translate,OptimizationHints,MediaRouter,SpellCheck,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
    "--no-pings",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (ARRAYLOSSES_REQUIRE_DOCS_RENDER=1)")
    pytest.skip(reason)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    _unavailable("no chromium on PATH (Debian: apt-get install -y chromium)")
    raise AssertionError  # unreachable


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def site():
    for page in PAGES:
        if not (HTML / page).exists():
            _unavailable(f"the docs are not built ({HTML / page} is missing): run nox -s docs")
    server = _Server(("127.0.0.1", 0), functools.partial(_Handler, directory=str(HTML)))
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _VisibleText(html.parser.HTMLParser):
    """The text a reader sees: outside script/style and outside MathJax's output."""

    HIDDEN: ClassVar[set[str]] = {"script", "style", "mjx-container", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []
        self.mathjax = 0

    def handle_starttag(self, tag, attrs):
        if tag == "mjx-container":
            self.mathjax += 1
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth == 0:
            self.parts.append(data)


def _net_log(path: pathlib.Path) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """(url, initiator) of every URL request, the remote address of every TCP connection
    attempt, and the destination of every UDP datagram sent.

    A UDP socket's ``connect`` sends nothing: Chromium connects one to a public address
    (2001:4860:4860::8888) only to learn whether IPv6 is routable, so UDP counts only where
    bytes were sent (``UDP_BYTES_SENT``; DNS queries would be those)."""
    log = json.loads(path.read_text())
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    requests, tcp, udp = [], [], []
    udp_peer: dict[int, str] = {}
    for event in log["events"]:
        params = event.get("params") or {}
        kind = types.get(event["type"], "")
        source = event["source"]["id"]
        if kind == "URL_REQUEST_START_JOB" and "url" in params:
            requests.append((params["url"], params.get("initiator", "")))
        elif kind.startswith("TCP_CONNECT"):
            if isinstance(params.get("address"), str):
                tcp.append(params["address"])
            tcp += [str(a) for a in params.get("address_list", []) or []]
        elif kind == "UDP_CONNECT" and isinstance(params.get("address"), str):
            udp_peer[source] = params["address"]
        elif kind == "UDP_BYTES_SENT":
            udp.append(params.get("address") or udp_peer.get(source, "unknown"))
    return requests, tcp, udp


def _is_loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]") if address.count(":") != 0 else address
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _render(chromium: str, url: str, work: pathlib.Path, stem: str) -> tuple[str, pathlib.Path]:
    net = work / f"{stem}.netlog.json"
    shot = work / f"{stem}.png"
    common = [*QUIET, f"--user-data-dir={work / 'profile'}", "--virtual-time-budget=20000"]
    dom = subprocess.run(
        [chromium, *common, f"--log-net-log={net}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    subprocess.run(
        [
            chromium,
            *common,
            f"--log-net-log={work / (stem + '.shot.netlog.json')}",
            "--window-size=1200,1400",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            url,
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return dom, shot


@pytest.mark.parametrize("page", PAGES)
def test_page_typesets_math_offline(page, site, tmp_path):
    chromium = _chromium()
    origin, served = site
    stem = page.replace("/", "_").removesuffix(".html")
    dom, shot = _render(chromium, f"{origin}/{page}", tmp_path, stem)

    # math typeset by MathJax, no TeX source left for the reader
    text = _VisibleText()
    text.feed(dom)
    visible = "".join(text.parts)
    assert text.mathjax > 0, f"{page}: no mjx-container element: MathJax did not typeset"
    for raw in ("\\frac", "\\sum", "\\(", "\\["):
        assert raw not in visible, f"{page}: raw TeX {raw!r} visible: math not typeset"
    assert shot.exists() and shot.stat().st_size > 10_000, f"{page}: no screenshot"

    # nothing left the machine
    for log in (tmp_path / f"{stem}.netlog.json", tmp_path / f"{stem}.shot.netlog.json"):
        requests, tcp, udp = _net_log(log)
        page_requests = [u for u, initiator in requests if initiator.startswith(origin)]
        assert page_requests, f"{log.name}: no request of the page in the network log"
        outside = [u for u in page_requests if not u.startswith(origin + "/")]
        assert not outside, f"{page} requested outside the local server: {outside}"
        remote = [a for a in tcp if not _is_loopback(a)]
        assert not remote, f"{page}: Chromium opened TCP connections to {remote}"
        sent = [a for a in udp if not _is_loopback(a)]
        assert not sent, f"{page}: Chromium sent UDP datagrams to {sent}"
    assert any("mathjax/tex-chtml.js" in p for p in served), served
    assert any("/fonts/" in p and p.endswith(".woff") for p in served), (
        "MathJax fonts were not fetched from the local copy"
    )

    keep = os.environ.get("ARRAYLOSSES_DOCS_SCREENSHOTS")
    if keep:
        pathlib.Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, pathlib.Path(keep) / shot.name)


# ---------------------------------------------------------------------------------------------
# Links and file names in the HTML of every page (no browser needed)

ARXIV_DOI = {"arxiv.org", "doi.org", "dx.doi.org"}
PEER_DOCS = {  # the peers' documentation, and the array API standard's
    "pytorch.org",
    "docs.jax.dev",
    "jax.readthedocs.io",
    "optax.readthedocs.io",
    "keras.io",
    "sbert.net",
    "scikit-learn.org",
    "lightning.ai",
    "kevinmusgrave.github.io",
    "numpy.org",
    "docs.cupy.dev",
    "data-apis.org",
}
PRIMARY_SOURCES = {  # cited where the work has neither an arXiv id nor a DOI link
    "kexue.fm": "CoSENT's definition, Su Jianlin's post",
    "jstor.org": "Chan, Golub and LeVeque (1983), The American Statistician: its stable URL",
}
# a repository file the site does not publish, as a page would name it
REPO_FILE = re.compile(
    r"README\.md, [\"“]|(?<![\w/.-])(docs|tests|conformance|benchmarks|tools|examples)/[\w./-]+"
)


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def _built_pages() -> list[pathlib.Path]:
    if not (HTML / "index.html").exists():
        _unavailable(f"the docs are not built ({HTML / 'index.html'} is missing): run nox -s docs")
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.relative_to(HTML).parts)


def _hrefs(page: pathlib.Path) -> list[str]:
    links = _Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links.hrefs


def _allowed(host: str) -> bool:
    host = host.lower().removeprefix("www.")
    known = ARXIV_DOI | PEER_DOCS | set(PRIMARY_SOURCES)
    return any(host == h or host.endswith("." + h) for h in known)


def test_no_page_has_a_mailto_link():
    bad = {
        str(p.relative_to(HTML)): [h for h in _hrefs(p) if h.lower().startswith("mailto:")]
        for p in _built_pages()
    }
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"mailto: links (an '@' read as an address?): {bad}"


def test_links_leave_the_site_only_for_papers_and_peers_docs():
    pages = _built_pages()
    outside: dict[str, list[str]] = {}
    for page in pages:
        for href in _hrefs(page):
            url = urllib.parse.urlsplit(href)
            if url.scheme in ("", "file") and not url.netloc:
                continue  # a page or file of the site
            if url.scheme in ("http", "https") and _allowed(url.hostname or ""):
                continue
            outside.setdefault(str(page.relative_to(HTML)), []).append(href)
    assert len(pages) > 100  # every API page is there
    assert not outside, f"links leaving the site: {outside}"


def test_api_pages_name_no_unpublished_repository_file():
    found: dict[str, list[str]] = {}
    api = [p for p in _built_pages() if p.parent.name == "api"]
    for page in api:
        text = _VisibleText()
        text.feed(page.read_text(encoding="utf-8"))
        hits = [m.group(0) for m in REPO_FILE.finditer("".join(text.parts))]
        if hits:
            found[page.name] = hits
    assert len(api) > 100
    assert not found, f"API pages naming repository files the site does not publish: {found}"

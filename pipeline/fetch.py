"""Polite, bounded HTTP fetching for feeds and article pages.

Every request has a timeout, a clear User-Agent and a size limit; transient
failures (timeouts, connection errors, 429 and 5xx answers) are retried a
bounded number of times with backoff; robots.txt is read once per host and
respected. Redirects are followed one hop at a time, and every hop is checked
as the first URL is: scheme, robots.txt of its host, and the address its host
resolves to (loopback, private, link-local and other non-public addresses are
refused unless listed in ``allow_addresses``). Anything that goes wrong becomes
a ``FetchError`` whose message is the reason a person reads in
``rejected_documents``.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import time
import urllib.robotparser
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

log = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http", "https")
TEXT_TYPES = ("text/", "application/xhtml", "application/xml", "application/rss", "application/atom",
              "application/rdf", "application/json")
_RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class FetchError(RuntimeError):
    """A URL could not be fetched; the message is the user-facing reason."""


@dataclass(frozen=True)
class Fetched:
    url: str  # the URL asked for
    final_url: str  # after redirects
    content: bytes
    content_type: str
    encoding: str | None


def parse_networks(spec: str | None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` -> networks; raises ValueError naming the bad entry."""
    out = []
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"PIPELINE_FETCH_ALLOW_ADDRESSES: {item!r} is not an IP address or network "
                             "(write e.g. 127.0.0.1 or 10.0.0.0/8, comma-separated)") from None
    return tuple(out)


def check_url(url: str) -> str:
    """Only absolute http(s) URLs; ``file:``, ``ftp:`` and relative paths are refused."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.netloc:
        raise FetchError(f"URL {url!r} is not an absolute http(s) URL; only http and https are fetched")
    return urlunsplit(parts._replace(fragment=""))


class Fetcher:
    """A shared HTTP client with robots.txt and size limits. Use as a context manager."""

    def __init__(self, user_agent: str, timeout_s: float = 10.0, retries: int = 2, max_bytes: int = 2_000_000,
                 backoff_s: float = 0.5, respect_robots: bool = True, transport: httpx.BaseTransport | None = None,
                 allow_addresses: str | tuple = (), max_redirects: int = 5):
        self.user_agent = user_agent
        self.allow_networks = parse_networks(allow_addresses) if isinstance(allow_addresses, str) \
            else tuple(ipaddress.ip_network(a, strict=False) for a in allow_addresses)
        self.max_redirects = max(0, max_redirects)
        self.agent_token = user_agent.split("/", 1)[0].strip() or "*"
        self.retries = max(0, retries)
        self.max_bytes = max_bytes
        self.backoff_s = backoff_s
        self.respect_robots = respect_robots
        self._robots: dict[str, urllib.robotparser.RobotFileParser | FetchError | None] = {}
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5"},
            timeout=httpx.Timeout(timeout_s), follow_redirects=False, transport=transport,
            trust_env=False)

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # ---- robots.txt ------------------------------------------------------------------------------

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets our agent fetch ``url``; raises FetchError if robots.txt is unreadable."""
        if not self.respect_robots:
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(origin)
        rules = self._robots[origin]
        if isinstance(rules, FetchError):
            raise rules
        return rules is None or rules.can_fetch(self.agent_token, url)

    def _read_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | FetchError | None:
        robots_url = origin + "/robots.txt"
        try:
            url = robots_url
            for _ in range(self.max_redirects + 1):  # RFC 9309: follow at least five redirects
                try:
                    response = self._request(url, max_bytes=500_000)
                    break
                except _Redirect as exc:
                    url = check_url(urljoin(url, exc.location))
                    self.check_address(url)
            else:
                raise FetchError("too many redirects")
        except _HTTPStatus as exc:
            if 400 <= exc.status < 500:  # RFC 9309: no robots.txt (4xx) means everything is allowed
                return None
            return FetchError(f"robots.txt at {robots_url} answered HTTP {exc.status}; not fetching from this "
                              "site until it can be read")
        except FetchError as exc:
            return FetchError(f"robots.txt at {robots_url} could not be read ({exc}); not fetching from this site")
        parser = urllib.robotparser.RobotFileParser(robots_url)
        parser.parse(response.content.decode("utf-8", errors="replace").splitlines())
        return parser

    # ---- fetching --------------------------------------------------------------------------------

    def check_address(self, url: str) -> None:
        """Refuse a URL whose host is, or resolves to, a non-public address that is not allowed.

        The check reads the addresses the host has now; a host that resolves differently when the
        connection is made (DNS rebinding) is not caught here."""
        host = urlsplit(url).hostname or ""
        try:
            addresses = {ipaddress.ip_address(host.strip("[]"))}
        except ValueError:
            try:
                infos = socket.getaddrinfo(host, urlsplit(url).port or 80, proto=socket.IPPROTO_TCP)
            except (socket.gaierror, UnicodeError) as exc:
                raise FetchError(f"{url}: host {host!r} could not be resolved ({exc})") from None
            addresses = {ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos}
        for address in sorted(addresses, key=str):
            if address.is_global or any(address in net for net in self.allow_networks):
                continue
            raise FetchError(f"{url}: host {host!r} is the non-public address {address}; not fetched "
                             "(list it in PIPELINE_FETCH_ALLOW_ADDRESSES to allow it)")

    def fetch(self, url: str) -> Fetched:
        first = url = check_url(url)
        for hop in range(self.max_redirects + 1):
            self.check_address(url)
            if not self.allowed(url):
                raise FetchError(f"robots.txt of {urlsplit(url).netloc} disallows fetching {urlsplit(url).path or '/'} "
                                 f"for user agent {self.agent_token!r}"
                                 + (f" (redirected from {first})" if hop else ""))
            try:
                fetched = self._request(url, self.max_bytes)
            except _HTTPStatus as exc:
                raise FetchError(f"{url} answered HTTP {exc.status} {exc.phrase}".rstrip()) from None
            except _Redirect as exc:
                try:
                    url = check_url(urljoin(url, exc.location))
                except FetchError:
                    raise FetchError(f"{url} redirected to {exc.location!r}, which is not an http(s) URL") from None
                continue
            return Fetched(first, fetched.final_url, fetched.content, fetched.content_type, fetched.encoding)
        raise FetchError(f"{first} redirected more than {self.max_redirects} times (PIPELINE_FETCH_MAX_REDIRECTS)")

    def _request(self, url: str, max_bytes: int) -> Fetched:
        attempt = 0
        while True:
            try:
                return self._once(url, max_bytes)
            except (_HTTPStatus, _Transient) as exc:
                retryable = isinstance(exc, _Transient) or exc.status in _RETRY_STATUSES
                if not retryable or attempt >= self.retries:
                    if isinstance(exc, _Transient):
                        raise FetchError(f"{exc} (gave up after {attempt + 1} attempts)") from None
                    raise
                delay = self.backoff_s * (2 ** attempt)
                if isinstance(exc, _HTTPStatus) and exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, 30.0))
                attempt += 1
                log.warning("fetch %s failed (%s); retry %d of %d in %.1fs", url, exc, attempt, self.retries, delay)
                time.sleep(delay)

    def _once(self, url: str, max_bytes: int) -> Fetched:
        try:
            with self._client.stream("GET", url) as response:
                if 300 <= response.status_code < 400 and response.headers.get("location"):
                    raise _Redirect(response.headers["location"])
                if response.status_code >= 400:
                    raise _HTTPStatus(response.status_code, response.reason_phrase,
                                      _retry_after(response.headers.get("retry-after")))
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchError(f"{url} is {int(declared):,} bytes, above the {max_bytes:,}-byte limit "
                                     "(PIPELINE_MAX_DOCUMENT_BYTES)")
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type and not content_type.startswith(TEXT_TYPES):
                    raise FetchError(f"{url} is {content_type}, not a web page or feed")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(f"{url} sent more than the {max_bytes:,}-byte limit "
                                         "(PIPELINE_MAX_DOCUMENT_BYTES); download stopped")
                    chunks.append(chunk)
                return Fetched(url, str(response.url), b"".join(chunks), content_type, response.charset_encoding)
        except httpx.TimeoutException:
            raise _Transient(f"{url} timed out") from None
        except httpx.TransportError as exc:
            raise _Transient(f"{url} could not be reached ({type(exc).__name__})") from None


class _Transient(Exception):
    pass


class _Redirect(Exception):
    def __init__(self, location: str):
        super().__init__(f"redirect to {location}")
        self.location = location


class _HTTPStatus(Exception):
    def __init__(self, status: int, phrase: str, retry_after: float | None = None):
        super().__init__(f"HTTP {status}")
        self.status, self.phrase, self.retry_after = status, phrase, retry_after


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None

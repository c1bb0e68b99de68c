"""AiohttpTransport: an httpx transport that sends over one aiohttp session (the bot's default)."""

from __future__ import annotations

import functools
import urllib.request

import aiohttp
import httpx
from yarl import URL

# httpx already sends these (or deliberately leaves them out): aiohttp must not add its own.
_SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


@functools.lru_cache(maxsize=32)
def _client_timeout(
    connect: float | None, read: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for httpx's per-phase ones (a handful of distinct values: cached).

    aiohttp's ``connect`` covers both waiting for a pool slot and opening the connection, so it
    gets pool + connect, never stricter than httpx; ``sock_connect`` bounds the opening alone.
    aiohttp has no write timeout: the bodies sent here are a few hundred bytes at most.
    """
    whole_connect = None if pool is None or connect is None else pool + connect
    return aiohttp.ClientTimeout(
        total=None, connect=whole_connect, sock_connect=connect, sock_read=read
    )


class _EnvProxies:
    """HTTP(S)_PROXY, ALL_PROXY and NO_PROXY, read once, as httpx reads them at client creation.

    aiohttp's own ``trust_env=True`` is not used: it reads ~/.netrc and the proxy variables in
    a worker thread on every request, and a netrc entry for the host would clash with the
    Authorization header httpx already set (aiohttp then refuses the request).
    """

    def __init__(self) -> None:
        env = urllib.request.getproxies_environment()
        self._proxies = {
            scheme: URL(value if "://" in value else f"http://{value}")
            for scheme in ("http", "https", "all")
            if (value := env.get(scheme))
        }
        self._no_proxy = _no_proxy_hosts(env.get("no", ""))
        self._by_origin: dict[tuple[str, str], URL | None] = {}

    def for_url(self, url: httpx.URL) -> URL | None:
        if not self._proxies:
            return None
        key = (url.scheme, url.host)
        if key not in self._by_origin:
            self._by_origin[key] = self._lookup(url.scheme, url.host)
        return self._by_origin[key]

    def _lookup(self, scheme: str, host: str) -> URL | None:
        host = host.lower()
        for entry in self._no_proxy:
            if entry == "*" or host == entry or host.endswith(f".{entry}"):
                return None
        return self._proxies.get(scheme) or self._proxies.get("all")


def _no_proxy_hosts(value: str) -> list[str]:
    """NO_PROXY's hosts; "*.example.com", ".example.com" and "example.com" all mean a domain."""
    hosts = []
    for entry in value.split(","):
        host = entry.strip().lower()
        if host != "*":
            host = host.lstrip("*").lstrip(".")
        if host:
            hosts.append(host)
    return hosts


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests with aiohttp: the same requests, a fraction of httpcore's CPU.

    One keep-alive pool, created on the first request (an aiohttp session belongs to the
    running loop) and closed by ``aclose()``, which may be called any number of times: clients
    sharing this transport each close it. Response bodies are read in full and handed to httpx
    still encoded, so httpx decodes Content-Encoding exactly as it does over httpcore. aiohttp
    errors become the httpx exceptions callers already handle, with the request attached.
    """

    def __init__(self, *, max_connections: int = 100, keepalive_expiry: float = 60.0) -> None:
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._proxies = _EnvProxies()
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the transport has been closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                keepalive_timeout=self._keepalive_expiry,
                # httpx's certificate store (certifi, SSL_CERT_FILE/DIR), not the system's.
                ssl=httpx.create_ssl_context(),
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                skip_auto_headers=_SKIP_AUTO_HEADERS,
                # httpx keeps the cookies; a second jar would send them twice.
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=None),
            )
            # aiohttp silently resends an idempotent request once when its connection fails;
            # httpcore does not, and SinchClient's retries (backoff, budget, per-attempt
            # metrics) must see every attempt. aiohttp's own TestClient sets this the same way.
            self._session._retry_connection = False
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._open()
        timeout = request.extensions.get("timeout", {})
        encoding = request.headers.encoding
        headers = [(k.decode(encoding), v.decode(encoding)) for k, v in request.headers.raw]
        body = await request.aread()
        try:
            async with session.request(
                request.method,
                # Already encoded by httpx: yarl must not re-quote it (%2B would become "+").
                URL(str(request.url), encoded=True),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                proxy=self._proxies.for_url(request.url),
                timeout=_client_timeout(
                    timeout.get("connect"), timeout.get("read"), timeout.get("pool")
                ),
            ) as response:
                content = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = _to_httpx(exc, request)
        else:
            return httpx.Response(
                response.status,
                headers=response.raw_headers,
                # A stream rather than content=: httpx decodes it when the client reads it,
                # and adds no Content-Length the server did not send.
                stream=httpx.ByteStream(content),
                request=request,
                extensions={"http_version": _http_version(response.version)},
            )
        # Raised outside the except block so that the aiohttp error is neither chained nor
        # kept as __context__: its text has the URL with the query, and it can hold the request
        # headers (Authorization).
        raise error

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _http_version(version: aiohttp.HttpVersion | None) -> bytes:
    return b"HTTP/1.1" if version is None else f"HTTP/{version.major}.{version.minor}".encode()


def _to_httpx(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception for an aiohttp failure.

    The message names the aiohttp type and the host only, never aiohttp's own text.
    """
    message = f"{type(exc).__name__} ({request.url.host})"
    error_type: type[httpx.TransportError]
    # Order matters: the timeout errors are also ClientConnectionErrors, and
    # ClientHttpProxyError is a ClientResponseError.
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        error_type = httpx.ConnectTimeout
    elif isinstance(exc, TimeoutError):
        error_type = httpx.ReadTimeout
    elif isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        error_type = httpx.ProxyError
    elif isinstance(exc, aiohttp.ClientConnectorError):
        error_type = httpx.ConnectError
    elif isinstance(exc, aiohttp.NonHttpUrlClientError):
        error_type = httpx.UnsupportedProtocol
    elif isinstance(
        exc,
        aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientResponseError,
    ):
        # Closed before a complete answer, or an answer that is not valid HTTP.
        error_type = httpx.RemoteProtocolError
    else:
        error_type = httpx.ReadError
    return error_type(message, request=request)

#!/usr/bin/env python3
"""A current ClickHouse engine behind ClickHouse's HTTP interface, for the local stack's tests.

No current clickhouse-server package is reachable from the machines the stack runs on, but PyPI's
chdb-core is the full current ClickHouse engine in-process (persistent databases, MergeTree merges,
materialized views). Its embedded mode opens no listener, so this front speaks the part of
ClickHouse's HTTP interface that @clickhouse/client and curl use, over that engine:

  GET /ping, GET / -> "Ok."
  GET|POST /?query=...&database=...&<setting>=...&param_<name>=...   with the query text in the URL,
      the body, or the URL followed by the body (an INSERT ... FORMAT X in the URL streams the body
      into the table, as the server does)
  credentials from Basic auth, X-ClickHouse-User/Key headers or user/password URL parameters
  errors as the server sends them: "Code: N. DB::Exception: ... (NAME) (version V)", the
  X-ClickHouse-Exception-Code header and the server's HTTP status for that code

Users and their settings profiles come from the same users.xml as the 18.16 server
(scripts/stack/clickhouse-users.xml), so the read-only user has the same readonly level and
server-side limits on both engines. Every request runs on its own engine connection (sessions keep
theirs), opened with the user's profile settings, then the request's settings as SET statements (a
readonly=1 user is refused a changed setting, as on the server). Results are buffered, not streamed:
the tests read small results, and an error always comes with its status code.

Usage: clickhouse-current.py --path DIR --users USERS_XML [--host 127.0.0.1] [--port 8124]
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ElementTree
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import chdb

# URL parameters that are not query settings (the server's HTTP handler consumes them itself)
NOT_SETTINGS = {
    "query", "database", "user", "password", "query_id", "session_id", "session_timeout",
    "session_check", "default_format", "role", "quota_key", "compress", "decompress",
    "buffer_size", "wait_end_of_query", "enable_http_compression", "http_zlib_compression_level",
    "send_progress_in_http_headers", "http_headers_progress_interval_ms",
    "add_http_cors_header", "cancel_http_readonly_queries_on_client_close", "stacktrace",
}
SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
INSERT_WITH_FORMAT = re.compile(r"^\s*(INSERT\s+INTO\s+.+?)\s+FORMAT\s+([A-Za-z0-9_]+)\s*$", re.I | re.S)
ERROR_CODE = re.compile(r"Code: (\d+)\.")

# the HTTP status the server answers for an exception code (HTTPHandler's exceptionCodeToHTTPStatus)
STATUS_OF_CODE = {
    164: 403, 192: 403, 193: 403, 194: 403, 195: 403, 516: 403, 497: 403,  # readonly, auth, access
    60: 404, 81: 404, 102: 404,  # unknown table or database
    62: 400, 47: 400, 46: 400, 36: 400, 43: 400, 53: 400, 26: 400, 27: 400, 6: 400, 38: 400,
    41: 400, 42: 400, 70: 400, 72: 400, 115: 400, 117: 400, 457: 400, 456: 400, 35: 400,
    159: 500, 396: 500, 241: 500,
    57: 500,
}


def load_users(path: str) -> dict[str, dict]:
    """Users (password, settings) from a ClickHouse users.xml: each user gets its profile's settings."""
    root = ElementTree.parse(path).getroot()
    profiles: dict[str, dict[str, str]] = {}
    for profile in root.findall("profiles/*"):
        profiles[profile.tag] = {s.tag: (s.text or "").strip() for s in profile}
    users = {}
    for user in root.findall("users/*"):
        profile_name = (user.findtext("profile") or "default").strip()
        settings = dict(profiles.get("default", {})) if profile_name != "default" else {}
        settings.update(profiles.get(profile_name, {}))
        users[user.tag] = {"password": (user.findtext("password") or "").strip(), "settings": settings}
    return users


class QueryError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class Engine:
    """The embedded engine at one path; connections per request or per session."""

    def __init__(self, path: str, users: dict[str, dict]):
        self.path = path
        self.users = users
        # the engine lives while one connection is open: this one keeps it for the process' life
        self.keeper = chdb.connect(path)
        self.version = self.keeper.query("SELECT version()", "TabSeparatedRaw").bytes().decode().strip()
        self.sessions: dict[str, tuple[object, threading.Lock, float]] = {}
        self.sessions_lock = threading.Lock()

    def authenticate(self, user: str, password: str) -> dict:
        entry = self.users.get(user)
        if entry is None or entry["password"] != password:
            raise QueryError(
                516,
                f"Code: 516. DB::Exception: {user}: Authentication failed: password is incorrect, "
                "or there is no user with such name. (AUTHENTICATION_FAILED)",
            )
        return entry

    def connect(self, user: dict):
        # readonly goes last: the profile's limits are set before it forbids changing settings
        items = sorted(user["settings"].items(), key=lambda kv: kv[0] == "readonly")
        query = "&".join(f"{k}={urllib.parse.quote(v, safe='')}" for k, v in items)
        return chdb.connect(f"{self.path}?{query}" if query else self.path)

    def session(self, session_id: str, user: dict, timeout: float):
        with self.sessions_lock:
            now = time.monotonic()
            for key in [k for k, (_, _, seen) in self.sessions.items() if now - seen > timeout]:
                self.sessions.pop(key)[0].close()
            entry = self.sessions.get(session_id)
            if entry is None:
                entry = (self.connect(user), threading.Lock(), now)
            self.sessions[session_id] = (entry[0], entry[1], now)
            return entry[0], entry[1]


def error_code(message: str) -> int:
    match = ERROR_CODE.search(message)
    return int(match.group(1)) if match else 1001  # STD_EXCEPTION


def decode_chunked(stream) -> bytes:
    parts = []
    while True:
        size_line = stream.readline()
        if not size_line:
            raise ValueError("truncated chunked body")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while stream.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        parts.append(stream.read(size))
        stream.readline()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ClickHouse"
    engine: Engine

    def log_message(self, format, *args):  # noqa: A002 - the base class' signature
        pass

    def do_GET(self):
        self.handle_request(readonly_method=True)

    def do_POST(self):
        self.handle_request(readonly_method=False)

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = decode_chunked(self.rfile)
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding not in ("", "identity"):
            raise QueryError(1001, f"Code: 1001. DB::Exception: Unknown Content-Encoding: {encoding}. (STD_EXCEPTION)")
        return body

    def answer(self, status: int, body: bytes, headers: dict[str, str]):
        compress = (
            headers.pop("compress", "") == "1" and "gzip" in (self.headers.get("Accept-Encoding") or "")
        )
        if compress:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-ClickHouse-Server-Display-Name", "clickhouse-current")
        self.send_header("X-ClickHouse-Timezone", "UTC")
        self.end_headers()
        self.wfile.write(body)

    def handle_request(self, readonly_method: bool):
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        param = {k: v[-1] for k, v in params.items()}
        query_id = param.get("query_id") or str(uuid.uuid4())
        base_headers = {"X-ClickHouse-Query-Id": query_id}
        if param.get("enable_http_compression") == "1":
            base_headers["compress"] = "1"
        try:
            body = self.read_body()
            if url.path in ("/ping", "/replicas_status") or (url.path == "/" and "query" not in param and not body):
                self.answer(200, b"Ok.\n", {"Content-Type": "text/plain; charset=UTF-8"})
                return
            if url.path != "/":
                raise QueryError(1001, f"Code: 1001. DB::Exception: No handler for {url.path}. (STD_EXCEPTION)")
            user_name, password = self.credentials(param)
            user = self.engine.authenticate(user_name, password)
            result, fmt, written = self.run(user, param, body, readonly_method)
            summary = {"read_rows": "0", "read_bytes": "0", "written_rows": str(written),
                       "written_bytes": "0", "total_rows_to_read": "0", "result_rows": "0",
                       "result_bytes": str(len(result))}
            self.answer(200, result, {**base_headers, "Content-Type": content_type(fmt),
                                      "X-ClickHouse-Format": fmt,
                                      "X-ClickHouse-Summary": json.dumps(summary)})
        except QueryError as error:
            self.fail(error.code, str(error), base_headers)
        except (chdb.ChdbError, RuntimeError) as error:
            message = str(error).strip()
            self.fail(error_code(message), message, base_headers)
        except (ValueError, OSError) as error:
            if isinstance(error, (BrokenPipeError, ConnectionResetError)):
                return
            self.fail(1001, f"Code: 1001. DB::Exception: {error}. (STD_EXCEPTION)", base_headers)

    def fail(self, code: int, message: str, headers: dict[str, str]):
        text = f"{message} (version {self.engine.version})\n".encode()
        try:
            self.answer(STATUS_OF_CODE.get(code, 500), text, {
                **headers, "Content-Type": "text/plain; charset=UTF-8",
                "X-ClickHouse-Exception-Code": str(code),
            })
        except (BrokenPipeError, ConnectionResetError):
            pass

    def credentials(self, param: dict[str, str]) -> tuple[str, str]:
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            return user or "default", password
        if self.headers.get("X-ClickHouse-User"):
            return self.headers["X-ClickHouse-User"], self.headers.get("X-ClickHouse-Key") or ""
        return param.get("user") or "default", param.get("password") or ""

    def run(self, user: dict, param: dict[str, str], body: bytes, readonly_method: bool):
        settings = {k: v for k, v in param.items()
                    if k not in NOT_SETTINGS and not k.startswith("param_") and SETTING_NAME.match(k)}
        if readonly_method and user["settings"].get("readonly", "0") == "0" and "readonly" not in settings:
            settings["readonly"] = "2"  # a GET only reads, as on the server
        query_params = {k[len("param_"):]: v for k, v in param.items() if k.startswith("param_")}
        database = param.get("database") or self.headers.get("X-ClickHouse-Database") or "default"
        fmt = param.get("default_format") or self.headers.get("X-ClickHouse-Format") or "TabSeparated"
        url_query = param.get("query", "")
        session_id = param.get("session_id")
        if session_id:
            timeout = float(param.get("session_timeout") or 60)
            conn, lock = self.engine.session(session_id, user, timeout)
        else:
            conn, lock = self.engine.connect(user), None
        if lock is not None:
            lock.acquire()
        try:
            ordered = sorted(settings.items(), key=lambda kv: kv[0] == "readonly")
            for name, value in ordered:
                conn.query(f"SET {name} = {setting_literal(value)}", "TabSeparated")
            conn.query(f"USE {quote_identifier(database)}", "TabSeparated")
            insert = INSERT_WITH_FORMAT.match(url_query) if body else None
            if insert:
                inserter = conn.send_insert(insert.group(1), insert.group(2))
                inserter.append(body)
                written = inserter.finish().rows_written
                return b"", insert.group(2), written
            text = url_query + ("\n" if url_query and body else "") + body.decode("utf-8", "surrogateescape")
            if not text.strip():
                raise QueryError(62, "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)")
            result = conn.query(text, fmt, params=query_params)
            data = result.bytes() if hasattr(result, "bytes") else bytes(result)
            return data, fmt, 0
        finally:
            if lock is not None:
                lock.release()
            else:
                conn.close()


def setting_literal(value: str) -> str:
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def content_type(fmt: str) -> str:
    if fmt.startswith("JSON"):
        return "application/json; charset=UTF-8"
    if fmt.startswith(("TabSeparated", "TSV", "CSV")):
        return "text/tab-separated-values; charset=UTF-8" if not fmt.startswith("CSV") else "text/csv; charset=UTF-8"
    return "application/octet-stream"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--path", required=True, help="the engine's data folder")
    parser.add_argument("--users", required=True, help="a ClickHouse users.xml (profiles and users)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8124)
    args = parser.parse_args()

    Handler.engine = Engine(args.path, load_users(args.users))
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"ClickHouse {Handler.engine.version} (chdb) on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        Handler.engine.keeper.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Submit your solution for grading: `python submit.py --server URL --token TOKEN` in this folder.

It packs exactly the files you edit (homework.toml's `student_files`; grading copies only these
over a fresh handout) into `<homework>-submission.tar.gz`, uploads it, shows the grading live and
prints your score per part and each case without full marks. `--save` keeps the server and token
in $XDG_CONFIG_HOME/dlsys/config.toml (~/.config/dlsys/), readable by you alone; with neither given
nor saved, it only packs. Standard library only: `dlsys release` copies this file into handouts.
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import sys
import tarfile
import time
import urllib.parse
import uuid
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python before 3.11
    sys.exit("submit.py needs Python 3.11 or newer (it reads homework.toml with tomllib).")

HERE = Path(__file__).resolve().parent
API = "/api/v1"
FINAL_STATES = ("done", "grader error")


class SubmitError(Exception):
    """Something the student can fix or retry; the message says what and how (never the token)."""


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SubmitError(f"{path.name} is missing from {path.parent}: run submit.py from the "
                          "homework folder you were given, with its files in place.") from None
    except tomllib.TOMLDecodeError as error:
        raise SubmitError(f"{path} is not valid TOML ({error}): restore it from the handout.") from None


def homework_name(folder: Path) -> str:
    """The homework's name (`hw0`, ...), which `dlsys release` records in pyproject.toml."""
    name = _read_toml(folder / "pyproject.toml").get("tool", {}).get("dlsys", {}).get("homework")
    if not isinstance(name, str) or not name:
        raise SubmitError(f"{folder / 'pyproject.toml'} has no [tool.dlsys] homework = \"...\": "
                          "restore it from the handout.")
    return name


def student_files(folder: Path) -> list[str]:
    """The files a student edits, as listed in homework.toml."""
    names = _read_toml(folder / "homework.toml").get("student_files")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise SubmitError(f"{folder / 'homework.toml'} lists no student_files: restore it from the handout.")
    return names


def pack(folder: Path = HERE, output: Path | None = None, homework: str | None = None) -> tuple[Path, list[str]]:
    """Write the submission archive of the homework in `folder` (named `homework`, else by the
    handout's pyproject.toml); return its path and contents."""
    names = student_files(folder)
    output = output or folder / f"{homework or homework_name(folder)}-submission.tar.gz"
    unusable = [name for name in names if (folder / name).is_symlink() or not (folder / name).is_file()]
    if unusable:
        raise SubmitError(f"cannot submit: {', '.join(unusable)} missing from {folder} (or not a regular "
                          "file); put your version back in place (the handout has the original) and run again.")
    with tarfile.open(output, "w:gz") as archive:
        for name in names:
            archive.add(folder / name, arcname=name, recursive=False, filter=_anonymous)
    return output, names


def _anonymous(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """Keep the student's local user and group names out of the archive."""
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    member.mode = 0o644
    return member


def config_path() -> Path:
    """$XDG_CONFIG_HOME/dlsys/config.toml, or ~/.config/dlsys/config.toml."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".config") / "dlsys" / "config.toml"


def load_config(path: Path | None = None) -> dict:
    """The saved server and token ({} when nothing is saved)."""
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SubmitError(f"cannot read {path} ({error}): delete it and log in again") from None
    return {key: data[key] for key in ("server", "token") if isinstance(data.get(key), str)}


def _toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    return '"' + "".join(f"\\{c}" if c in '"\\' else f"\\u{ord(c):04x}" if ord(c) < 32 or ord(c) == 127 else c
                         for c in value) + '"'


def save_config(server: str, token: str, path: Path | None = None) -> Path:
    """Write the server and the token, and nothing else, to a file created readable by its owner only
    (a fresh file: an old one, whatever its mode, is removed first)."""
    path = path or config_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(f"server = {_toml_string(server)}\ntoken = {_toml_string(token)}\n")
    return path


class Client:
    """The service's API with a bearer token: unreachable or 5xx retried with backoff, a 4xx raised."""

    def __init__(self, server: str, token: str, *, retries: int = 3, backoff: float = 0.5, timeout: float = 60):
        self.url = urllib.parse.urlsplit(server.strip())
        if self.url.scheme not in ("http", "https") or not self.url.hostname:
            raise SubmitError(f"the server {server!r} is not a URL: give it as http://host:port or https://host")
        self.server, self.token = server.strip().rstrip("/"), token.strip()
        self.retries, self.backoff, self.timeout = retries, backoff, timeout

    def _open(self, method: str, route: str, headers: dict, body=(), on_sent=lambda sent: None):
        """Send one request (the body: bytes and file paths, streamed) and return its response."""
        kind = http.client.HTTPSConnection if self.url.scheme == "https" else http.client.HTTPConnection
        connection = kind(self.url.hostname, self.url.port, timeout=self.timeout)
        connection.putrequest(method, self.url.path.rstrip("/") + API + route)
        # one request per connection: the answer owns the socket and closes it
        for name, value in ({"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                             "Connection": "close"} | headers).items():
            connection.putheader(name, value)
        connection.endheaders()
        sent = 0
        try:
            for part in body:
                with open(part, "rb") if isinstance(part, Path) else io.BytesIO(part) as source:
                    while chunk := source.read(1 << 16):
                        connection.send(chunk)
                        sent += len(chunk)
                        on_sent(sent)
        except OSError:  # the service may have answered (a refusal) before it read everything
            pass
        return connection.getresponse()

    def _call(self, method: str, route: str, headers: dict | None = None, body=(), on_sent=lambda sent: None):
        """The answer's status and body, parsed, after the retries."""
        for attempt in range(self.retries + 1):
            wait = ""
            try:
                with self._open(method, route, headers or {}, body, on_sent) as response:
                    status, data, wait = response.status, response.read(), response.headers.get("Retry-After", "")
                if status < 500:
                    return status, _parse(status, data)
                problem = f"the grading service failed ({status}: {_detail(data)})"
            except (OSError, http.client.HTTPException) as error:
                problem = f"cannot reach the grading service at {self.server} ({_reason(error)})"
            if attempt == self.retries:
                raise SubmitError(f"{problem}; check the address, or try again later")
            delay = int(wait) if wait.isdigit() and int(wait) <= 30 else self.backoff * 2 ** attempt
            print(f"{problem}: trying again in {delay:g} s", file=sys.stderr)
            time.sleep(delay)

    def get(self, route: str):
        return self._call("GET", route)[1]

    def upload(self, homework: str, archive: Path, key: str | None = None, on_sent=lambda sent: None):
        """POST the archive with an Idempotency-Key (the same on every retry, so the service keeps
        one submission however often the answer is lost); (status view, created)."""
        boundary = uuid.uuid4().hex
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="homework"\r\n\r\n{homework}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="archive"; filename="{homework}.tar.gz"\r\n'
                "Content-Type: application/gzip\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
                   "Content-Length": str(len(head) + archive.stat().st_size + len(tail)),
                   "Idempotency-Key": key or str(uuid.uuid4())}
        status, view = self._call("POST", "/submissions", headers, (head, archive, tail), on_sent)
        return view, status == 201

    def events(self, submission: int):
        """The submission's status views as the service sends them (Server-Sent Events)."""
        with self._open("GET", f"/submissions/{submission}/events", {"Accept": "text/event-stream"}) as response:
            if response.status >= 500:  # (follow reconnects)
                raise ConnectionError(f"the grading service failed ({response.status}: {_detail(response.read())})")
            if response.status != 200:
                _parse(response.status, response.read())
            event = None  # the service sends each event's JSON on one data line
            while line := response.readline():  # (": still here" comments keep the connection alive)
                field, _, value = line.decode().rstrip("\r\n").partition(":")
                if field == "event":
                    event = value.strip()
                elif field == "data" and event == "status":
                    yield json.loads(value)


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _detail(data: bytes) -> str:
    try:
        return str(json.loads(data)["detail"])
    except (ValueError, KeyError, TypeError):
        return data.decode(errors="replace").strip()[:200] or "no reason given"


def _parse(status: int, data: bytes):
    if status >= 400:
        raise SubmitError(f"the grading service refused ({status}): {_detail(data)}")
    try:
        return json.loads(data)
    except ValueError:
        raise SubmitError(f"the grading service answered {status} with something that is not JSON") from None


def connect(server: str | None = None, token: str | None = None, config: Path | None = None, **options) -> Client:
    """A Client for the given server and token, each else the saved one."""
    saved = {} if server and token else load_config(config)
    server, token = server or saved.get("server"), token or saved.get("token")
    if not server or not token:
        raise SubmitError(f"no {'server' if not server else 'token'} given and none saved in {config or config_path()}: "
                          "pass --server URL --token TOKEN (from the course staff); submit.py --save or dlsys login keeps them")
    return Client(server, token, **options)


def login(client: Client, config: Path | None = None) -> tuple[dict, Path]:
    """Check the token (GET /me), then save the server and token; who it is, and the file."""
    me = client.get("/me")
    return me, save_config(client.server, client.token, config)


class Line:
    """A line redrawn in place on a terminal; elsewhere printed as a plain line when `plain` (a new state)."""

    def __init__(self, stream=None):
        self.stream, self.shown = stream or sys.stdout, ""

    def show(self, text: str, plain: bool = True) -> None:
        if text != self.shown and self.stream.isatty():
            text = text[:(os.get_terminal_size(self.stream.fileno()).columns or 80) - 1]  # (0: size unknown)
            self.stream.write("\r" + text.ljust(len(self.shown)))
        elif text != self.shown and plain:
            self.stream.write(text + "\n")
        self.shown = text
        self.stream.flush()

    def end(self) -> None:  # (a Line is done then)
        self.stream.write("\n" if self.shown and self.stream.isatty() else "")


def describe(view: dict) -> str:
    """A status view in words: queued (where, and why it waits), building, running case k of n, done."""
    state, done, total = view["state"], view.get("cases_done") or 0, view.get("cases_total") or 0
    if state == "queued":
        where = f"{view['position']} ahead" if view.get("position") else "next"
        return f"queued, {where}" + (f" (waiting: {view['waiting']})" if view.get("waiting") else "")
    if state in ("building", "running"):
        return "building (preparing your code in the sandbox)" if state == "building" else \
            f"running case {min(done + 1, total)} of {total}"
    if state == "done" and view.get("score") is not None:
        return f"done: {view['score']:g} / {view['max_score']:g}"
    return f"{state}: {view['message']}" if view.get("message") else state


def upload(client: Client, homework: str, archive: Path, out=None) -> dict:
    """Upload with a progress bar of the bytes sent (a plain line when not on a terminal); the status view."""
    line, size = Line(out), archive.stat().st_size

    def bar(sent: int) -> None:
        sent = min(sent, size)
        line.show(f"uploading {archive.name} [{'#' * (30 * sent // max(size, 1)):.<30}] "
                  f"{sent / 1024:.1f} / {size / 1024:.1f} KiB", plain=False)

    line.show(f"uploading {archive.name} ({size / 1024:.1f} KiB) to {client.server}")
    view, created = client.upload(homework, archive, on_sent=bar)
    line.show(f"uploaded {archive.name}: submission {view['submission']}"
              + ("" if created else " (received before: the answer to the first try was lost)"))
    line.end()
    return view


def follow(client: Client, view: dict, out=None) -> dict:
    """A live status line until the submission is graded (reconnecting when the stream breaks); the last view."""
    line, broken, number = Line(out), 0, view["submission"]
    line.show(f"submission {number}: {describe(view)}")
    while view["state"] not in FINAL_STATES:
        try:
            for update in client.events(number):
                line.show(f"submission {number}: {describe(update)}",
                          plain=not update["state"] == view["state"] == "running")  # (case k of n: terminals only)
                view, broken = update, 0
                if view["state"] in FINAL_STATES:
                    break
            else:
                raise ConnectionError("the status stream ended early")
        except (OSError, http.client.HTTPException) as error:
            broken += 1
            if broken > client.retries:
                raise SubmitError(f"lost the grading service at {client.server} ({_reason(error)}); see the result "
                                  f"later with `python submit.py --results {number}` or `dlsys results {number}`") from None
            time.sleep(client.backoff * 2 ** broken)
    line.end()
    return view


def print_result(result: dict, out=None) -> None:
    """The per-part table, then every case without full marks with its reason, then the notices."""
    rows = [(part["name"], f"{part['score']:g}", f"{part['max_score']:g}") for part in result["parts"]]
    width = max(len(name) for name, _, _ in rows + [("total", "", "")])
    for name, score, of in [("part", "score", "of"), *rows, ("-" * (width + 16), "", ""),
                            ("total", f"{result['score']:g}", f"{result['max_score']:g}")]:
        print(f"{name:<{width}}  {score:>7}  {of:>5}".rstrip(), file=out)
    if result["cases"]:
        print(f"\n{len(result['cases'])} case(s) without full marks:", file=out)
    for case in result["cases"]:
        status, feedback = case["status"], case["feedback"]
        reason = feedback if feedback.startswith(status) else f"{status}: {feedback}" if feedback else status
        print(f"  {case['run']} ({case['part']}) {case['score']:g}/{case['points']:g}  {reason}", file=out)
    for notice in result.get("notices") or []:
        print(f"note: {notice}", file=out)


def print_submissions(views: list[dict], out=None) -> None:
    """One line per submission: its number, homework, time, late days and state."""
    for view in views:
        late = f" ({view['late_days']} late day(s))" if view.get("late_days") else ""
        print(f"#{view['submission']:<4} {view['homework']:<4} {view['created_at'][:16].replace('T', ' ')} UTC{late}  "
              f"{describe(view)}", file=out)
    if not views:
        print("no submissions yet", file=out)


def show_results(client: Client, submission: int, out=None) -> dict:
    """Print a submission's result, or where it is when not graded yet; its view."""
    view = client.get(f"/submissions/{submission}")
    if view.get("result"):
        print_result(view["result"], out)
    else:
        print(f"submission {submission}: {describe(view)}; no result yet", file=out)
    return view


def submit(client: Client, homework: str, archive: Path, wait: bool = True, out=None) -> dict:
    """Upload, follow until graded and print the result (or return after the upload); the last view."""
    view = upload(client, homework, archive, out)
    if not wait:
        print(f"submission {view['submission']}: {describe(view)}; see it later with `python submit.py --results "
              f"{view['submission']}` (or `dlsys results {view['submission']}`)", file=out)
        return view
    view = follow(client, view, out)
    return show_results(client, view["submission"], out) if view["state"] == "done" else view


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pack the files you edit and submit them for grading.")
    parser.add_argument("--server", help="the grading service's URL (default: the saved one)")
    parser.add_argument("--token", help="your token, from the course staff (default: the saved one)")
    parser.add_argument("--save", action="store_true", help=f"check --server and --token, save them in {config_path()}")
    parser.add_argument("--output", "-o", type=Path, help="the archive (default: <homework>-submission.tar.gz here)")
    parser.add_argument("--pack-only", action="store_true", help="only write the archive")
    parser.add_argument("--no-wait", action="store_true", help="upload, then return without following the grading")
    parser.add_argument("--results", type=int, metavar="N", help="print the feedback of submission N")
    args = parser.parse_args(argv)
    try:
        online = args.results or args.save or (not args.pack_only and bool(args.server or args.token or load_config()))
        client = connect(args.server, args.token) if online else None
        if args.save:
            print("saved the server and the token of {0[login]} in {1}".format(*login(client)))
        if args.results:
            view = show_results(client, args.results)
        else:
            output, names = pack(HERE, args.output)
            print(f"Packed {len(names)} file(s) into {output}:\n" + "".join(f"  {name}\n" for name in names), end="")
            if client is None or args.pack_only:
                if not args.pack_only:
                    print("To upload it: python submit.py --server URL --token TOKEN (the course staff gives you "
                          "both; add --save to remember them)")
                return 0
            view = submit(client, homework_name(HERE), output, wait=not args.no_wait)
        return 1 if view["state"] == "grader error" else 0  # no score: a fault of the grader's, shown to staff
    except SubmitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopped (a submission already uploaded is graded all the same)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

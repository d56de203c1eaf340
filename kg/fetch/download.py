"""Download one file, resumably, and verify it before it appears where the ingest reads it.

A file is written to a partial file outside the sources folder (`cache/downloads/…part`), resumed with
an HTTP Range request after a dropped connection (retries with backoff, a read timeout), checked
against its size and SHA-256, and only then renamed into place — so the sources folder never holds a
half-written or unverified file. A mirror (`--from DIR|URL`, QIZHEN_DATA_MIRROR) is laid out like the
sources folder (NAME/FILE) and verified the same way.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from kg.errors import InvalidInput, Unavailable
from kg.fetch.manifest import SourceFile

CHUNK = 1 << 16
#: (bytes done, bytes expected or 0): a progress callback per file
ProgressFn = Callable[[int, int], None]


class FetchError(Unavailable):
    """An origin or mirror could not deliver a file (unreachable, 404, timed out)."""


class VerifyError(InvalidInput):
    """A delivered file is not the pinned one (wrong size, checksum mismatch)."""


@dataclass(frozen=True, slots=True)
class FetchOptions:
    mirror: str | None = None  # a folder or an http(s) URL laid out as NAME/FILE
    timeout_s: float = 30.0
    retries: int = 4
    backoff_s: float = 0.5


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def is_verified(f: SourceFile, path: Path) -> bool:
    """True when `path` is the pinned file (size and SHA-256); files verified by parsing: present."""
    if not path.is_file():
        return False
    if not f.sha256:
        return True
    return path.stat().st_size == f.size and sha256_of(path) == f.sha256


def source_url(source: str, f: SourceFile, mirror: str | None) -> str:
    """Where to read `f` from: the mirror's NAME/FILE, else the pinned origin URL."""
    if not mirror:
        return f.url
    if mirror.startswith(("http://", "https://")):
        return f"{mirror.rstrip('/')}/{quote(source)}/{quote(f.name)}"
    return str(Path(mirror.removeprefix("file://")).expanduser() / source / f.name)


def fetch_file(source: str, f: SourceFile, dest: Path, partial_dir: Path, opts: FetchOptions,
               progress: ProgressFn | None = None) -> bool:
    """Place the verified file at `dest`; False when it was there already (a re-run is a no-op)."""
    if is_verified(f, dest):
        return False
    where = source_url(source, f, opts.mirror)
    partial_dir.mkdir(parents=True, exist_ok=True)
    part = partial_dir / f"{source}--{f.name.replace('/', '--')}.part"
    if where.startswith(("http://", "https://")):
        _download(where, part, f.size, opts, progress)
    else:
        src = Path(where)
        if not src.is_file():
            raise FetchError(f"{f.name}: not found in the mirror ({where})")
        shutil.copyfile(src, part)
    try:
        _verify(f, part, where)
    except VerifyError:
        part.unlink(missing_ok=True)  # a wrong file is never resumed
        raise
    dest.parent.mkdir(parents=True, exist_ok=True)
    part.replace(dest)
    return True


def _verify(f: SourceFile, part: Path, where: str) -> None:
    if not f.sha256:
        return
    size = part.stat().st_size
    if size != f.size:
        raise VerifyError(f"{f.name}: wrong size from {where}: {size} bytes, expected {f.size}")
    digest = sha256_of(part)
    if digest != f.sha256:
        raise VerifyError(f"{f.name}: checksum mismatch from {where}: sha256 {digest[:16]}…, expected "
                          f"{f.sha256[:16]}…")


def _download(url: str, part: Path, expected: int, opts: FetchOptions, progress: ProgressFn | None) -> None:
    import httpx

    attempt = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        if expected and have > expected:
            part.unlink()
            have = 0
        if expected and have == expected:
            return  # complete from an earlier run; verified by the caller
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(opts.timeout_s),
                              follow_redirects=True) as r:
                if r.status_code == 416 and have:  # asked past the end: start over
                    part.unlink()
                    continue
                if r.status_code >= 400:
                    if r.status_code < 500 or attempt >= opts.retries:
                        raise FetchError(f"{url}: HTTP {r.status_code}")
                    raise httpx.TransportError(f"HTTP {r.status_code}")
                mode = "ab" if have and r.status_code == 206 else "wb"
                done = have if mode == "ab" else 0
                with part.open(mode) as fh:
                    for chunk in r.iter_bytes(CHUNK):
                        fh.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, expected)
            return
        except httpx.TimeoutException as exc:
            if attempt >= opts.retries:
                raise FetchError(f"{url}: timed out after {opts.timeout_s:g} s ({attempt + 1} tries)") from exc
        except httpx.TransportError as exc:
            if attempt >= opts.retries:
                raise FetchError(f"{url}: {type(exc).__name__}: {exc} ({attempt + 1} tries)") from exc
        attempt += 1
        time.sleep(opts.backoff_s * 2 ** (attempt - 1))

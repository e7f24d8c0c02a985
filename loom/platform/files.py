"""Uploaded files: stored once by content hash under the site's folder, described by a row.

The bytes go to ``uploads/ab/cd/<sha256>`` (written to a temporary name, then renamed, so a
reader never sees half a file); the ``loom_files`` row carries the name, type, size, hash
and uploader. Uploads are read in chunks and refused as soon as they pass the size limit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import mimetypes
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import insert
from sqlalchemy import select

from .actor import Actor
from .database import transaction
from .limits import clean_file_name
from .limits import strip_control
from .records.errors import NotFound
from .records.errors import RecordError
from .runtime import Runtime

CHUNK = 64 * 1024


class FileTooLarge(RecordError):
    code = "file_too_large"


class FileStore:
    def __init__(self, runtime: Runtime, folder: Path, max_bytes: int) -> None:
        self.runtime = runtime
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.table = runtime.schema.metadata.tables["loom_files"]

    def save(
        self,
        stream: IO[bytes],
        name: str,
        actor: Actor,
        content_type: str | None = None,
        *,
        conn: Connection | None = None,
    ) -> dict[str, Any]:
        """Store ``stream``; raises FileTooLarge (nothing kept) past ``max_bytes``.

        If the row cannot be written, bytes that no other row describes are removed again.
        """
        name = _safe_name(name)
        content_type = strip_control(content_type or "") or mimetypes.guess_type(name)[0]
        _group_folder(self.folder)
        with self._receive(stream) as (temporary, digest, size):
            target = self.path_of(digest)
            existed = target.exists()
            _group_folder(target.parent.parent)
            _group_folder(target.parent)
            _group_readable(temporary, self.folder)
            os.replace(temporary, target)
        values = {
            "name": name, "content_type": (content_type or "application/octet-stream")[:127], "size": size,
            "sha256": digest, "uploaded_by": actor.id, "uploaded_at": dt.datetime.now(dt.UTC),
        }  # fmt: skip
        try:
            with transaction(self.runtime.engine, conn) as c:
                file_id = c.execute(insert(self.table).values(values).returning(self.table.c.id)).scalar_one()
        except Exception:
            if not existed and not self._described(digest):
                target.unlink(missing_ok=True)
            raise
        return {"id": file_id, **values}

    def _described(self, digest: str) -> bool:
        query = select(self.table.c.id).where(self.table.c.sha256 == digest).limit(1)
        with self.runtime.engine.connect() as c:
            return c.execute(query).first() is not None

    def describe(self, file_id: int, *, conn: Connection | None = None) -> dict[str, Any]:
        with transaction(self.runtime.engine, conn) as c:
            row = c.execute(select(self.table).where(self.table.c.id == file_id)).mappings().first()
        if row is None:
            raise NotFound(id=file_id)
        return dict(row)

    def path_of(self, digest: str) -> Path:
        return self.folder / digest[:2] / digest[2:4] / digest

    @contextmanager
    def _receive(self, stream: IO[bytes]) -> Iterator[tuple[str, str, int]]:
        digest = hashlib.sha256()
        size = 0
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FileTooLarge(limit=self.max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
            yield temporary, digest.hexdigest(), size
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)


# Uploads are read by the service's user and written by it or by commands run as another user
# of the same group (docs/deploy.md §3): folders are group-owned (setgid, so what is made in
# them keeps the folder's group) and files readable by that group, never by others.
FOLDER_MODE = 0o2750
FILE_MODE = 0o640


def _group_folder(folder: Path) -> None:
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(FOLDER_MODE)


def _group_readable(path: str, uploads: Path) -> None:
    os.chmod(path, FILE_MODE)
    group = uploads.stat().st_gid
    if os.stat(path).st_gid != group:
        # Not a member of the uploads' group: the file keeps ours, readable by it.
        with contextlib.suppress(PermissionError):
            os.chown(path, -1, group)


def _safe_name(name: str) -> str:
    """The file name without any folder part, so it can never point elsewhere."""
    return clean_file_name(os.path.basename(name.replace("\\", "/")).strip()).strip() or "file"

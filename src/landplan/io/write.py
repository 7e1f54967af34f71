"""Writing outputs safely: output-path checks, atomic renames, stale temporary files, locked folders.

Writers never leave a half-written file: they write next to the target and rename.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from landplan.errors import OutputExistsError

__all__ = [
    "PARTS_INDEX",
    "OutputFolder",
    "atomic_folder",
    "atomic_path",
    "check_output_path",
    "clean_stale_temp_files",
    "is_parts_folder",
    "output_folder",
    "replace_path",
]

#: the index file of a partitioned output folder (parts, rows; see :func:`landplan.io.tables.write_parquet_parts`)
PARTS_INDEX = "_parts.json"


logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- writing


def _check_parent_is_folder(out: Path) -> None:
    for parent in out.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                msg = f"output {out}: {parent} is not a folder (it is a file); choose an output path in a folder"
                raise OutputExistsError(msg)
            return


def check_output_path(
    path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (), overwrite: bool = False
) -> Path:
    """Check that ``path`` may be written: not an input, and not existing unless ``overwrite``.

    Outputs are only ever written as regular files: a symbolic link, a named pipe (FIFO),
    a device or a folder at ``path`` is refused even with ``overwrite`` (landplan never
    replaces a link with a file nor writes through it), and so is a path under a file.

    Parameters
    ----------
    path
        The output file to be written.
    inputs
        Files the run reads; none of them may be written.
    overwrite
        Allow replacing an existing regular file.

    Raises
    ------
    OutputExistsError
        If ``path`` is one of ``inputs`` (always refused), is not a regular file, lies
        under a file, or exists and ``overwrite`` is false.
    """
    out = Path(path)
    _check_parent_is_folder(out)
    if out.is_symlink():
        msg = f"output {out} is a symbolic link; landplan does not write through links: give the real path"
        raise OutputExistsError(msg)
    if out.exists() and not out.is_file() and not is_parts_folder(out):
        kind = "a folder" if out.is_dir() else "not a regular file (a pipe or device)"
        msg = f"output {out} is {kind}; choose a file path for this output"
        raise OutputExistsError(msg)
    target = out.resolve()
    for src in inputs:
        src_path = Path(src).resolve()
        same_stem = src_path.suffix.lower() == ".shp" and target.with_suffix("") == src_path.with_suffix("")
        if target == src_path or same_stem:
            msg = f"output {out} is an input of this run ({src}); choose another output path"
            raise OutputExistsError(msg)
    if out.exists() and not overwrite:
        msg = f"output {out} exists and won't be overwritten without --overwrite (overwrite=True)"
        raise OutputExistsError(msg)
    return out


def is_parts_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a partitioned output landplan wrote (a folder with its parts index).

    Parameters
    ----------
    path
        A path that may exist.
    """
    p = Path(path)
    return p.is_dir() and not p.is_symlink() and (p / PARTS_INDEX).is_file()


def replace_path(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Move ``src`` (a file or a folder) onto ``dst``, replacing what is there.

    A file over a file is one :func:`os.replace`; when either is a folder the old ``dst`` is first
    renamed aside (same folder, so the moment without ``dst`` is two renames long), then removed.

    Parameters
    ----------
    src
        The new file or folder.
    dst
        Its final path.
    """
    import shutil

    s, d = Path(src), Path(dst)
    if not (s.is_dir() or d.is_dir()) or not (d.exists() or d.is_symlink()):
        os.replace(s, d)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{d.name}.", suffix=".old", dir=d.parent))
    os.replace(d, aside / d.name)
    os.replace(s, d)
    shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; move it onto ``path`` only on success.

    Parameters
    ----------
    path
        The final output folder.
    """
    import shutil

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partdir", dir=target.parent))
    try:
        yield tmp
        replace_path(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


#: temporary files of :func:`atomic_path` (``.<stem>.<8 random>.part<suffix>`` and SQLite side files)
_TEMP_FILE = re.compile(r"^\..+\.[a-z0-9_]{8}\.part(\.[A-Za-z0-9]+)?(-journal|-wal|-shm)?$")


def clean_stale_temp_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete temporary files that interrupted landplan writers left in ``folder``.

    Only files named like landplan's own temporary files (``.ranked.ab12cd34.part.gpkg``
    and their ``-journal``/``-wal``/``-shm``) are removed; nothing else is touched.

    Parameters
    ----------
    folder
        The output folder to clean (nothing happens when it does not exist).

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    removed: list[Path] = []
    base = Path(folder)
    if not base.is_dir():
        return removed
    for p in sorted(base.iterdir()):
        if _TEMP_FILE.match(p.name) and p.is_file() and not p.is_symlink():
            p.unlink(missing_ok=True)
            removed.append(p)
    if removed:
        logger.info("removed %d stale temporary files of an interrupted run in %s", len(removed), base)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    A failure or interruption inside the block removes the temporary file (and the
    SQLite ``-journal``/``-wal``/``-shm`` files a GeoPackage writer may leave) and leaves
    ``path`` untouched.

    Parameters
    ----------
    path
        The final output file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".part{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # let writers create it; some GDAL drivers refuse an existing empty file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)


class OutputFolder:
    """A locked output folder whose files are staged and moved in together (see :func:`output_folder`)."""

    def __init__(self, target: Path, stage: Path) -> None:
        self.target = target
        self.stage = stage

    def path(self, name: str) -> Path:
        """Where to write the output ``name`` now (inside the staging folder).

        Parameters
        ----------
        name
            File name of the output inside the folder.
        """
        return self.stage / name


def _lock_folder(folder: Path) -> int:
    import fcntl

    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        msg = (
            f"output folder {folder} is in use by another landplan run; wait for it to finish or choose another folder"
        )
        raise OutputExistsError(msg) from None
    return fd


@contextlib.contextmanager
def output_folder(folder: str | os.PathLike[str]) -> Iterator[OutputFolder]:
    """Lock ``folder`` for one run and stage its outputs; move them in only on success.

    The folder (created if needed) is locked exclusively (``flock``) for the whole block:
    a second run into the same folder fails at once with :class:`OutputExistsError`.
    Files are written into a hidden staging folder beside the target
    (``.<name>.landplan-XXXX.tmp``); when the block ends without error they are moved
    into ``folder`` with termination signals held back, so the folder holds either the
    complete new set or the old files. On error or interruption the staging folder is
    deleted. Stale staging folders and temporary files of earlier interrupted runs are
    removed when the lock is taken.

    Parameters
    ----------
    folder
        The output folder (created when missing).
    """
    import shutil
    import signal

    _check_parent_is_folder(Path(folder) / "x")
    created = not Path(folder).exists()
    Path(folder).mkdir(parents=True, exist_ok=True)
    target = Path(folder).resolve()  # a link or "." : stage beside the real folder, on its file system
    fd = _lock_folder(target)
    stage: Path | None = None
    try:
        for old in target.parent.glob(f".{glob.escape(target.name)}.landplan-*.tmp"):
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
        clean_stale_temp_files(target)
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.landplan-", suffix=".tmp", dir=target.parent))
        yield OutputFolder(target, stage)
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            for p in sorted(stage.iterdir()):
                replace_path(p, target / p.name)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        os.close(fd)
        if created:
            with contextlib.suppress(OSError):
                target.rmdir()  # only succeeds when nothing was written

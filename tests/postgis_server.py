"""A private, throw-away PostGIS server for tests and benchmarks (Debian's ``postgresql`` + ``postgis``).

:class:`PostgisServer` makes a cluster in a temporary folder (``initdb``), starts it on
127.0.0.1 on a free port, creates a database with ``CREATE EXTENSION postgis``, and on
:meth:`~PostgisServer.stop` shuts it down and removes the folder. PostgreSQL refuses to run as
root: as root the cluster belongs to the ``postgres`` OS user (created by Debian's
``postgresql`` package) and every server command runs through ``runuser -u postgres``; as any
other user it runs as that user. The superuser ``landplan`` has a random password and TCP
connections need it (``scram-sha-256``), so tests see real password authentication.

:func:`ensure_installed` installs the Debian packages when they are missing and the process is
root with ``apt-get`` (what CI is); it returns the reason when they cannot be installed.

Use from Python (tests, benchmarks)::

    with PostgisServer() as pg:
        engine = sqlalchemy.create_engine(pg.sqlalchemy_url)

or from the shell (``scripts/postgis.sh`` wraps this)::

    python tests/postgis_server.py install
    python tests/postgis_server.py start /tmp/pg      # prints the URL (with the password)
    python tests/postgis_server.py url /tmp/pg
    python tests/postgis_server.py stop /tmp/pg
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["PostgisServer", "ensure_installed", "find_binaries"]

PACKAGES_BASE = ["postgresql"]  # then postgresql-<major>-postgis-3 for the installed major version
SUPERUSER = "landplan"
DATABASE = "landplan"
_STATE = "server.json"


def find_binaries() -> Path | None:
    """The ``bin`` folder of the newest PostgreSQL whose PostGIS extension is installed, or None."""
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return None
    majors = sorted((p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name), reverse=True)
    for major in majors:
        has_postgis = Path(f"/usr/share/postgresql/{major.name}/extension/postgis.control").is_file()
        if has_postgis and (major / "bin" / "initdb").is_file():
            return major / "bin"
    return None


def _installed_major() -> str | None:
    root = Path("/usr/lib/postgresql")
    majors = sorted((p.name for p in root.iterdir() if p.name.isdigit()), key=int) if root.is_dir() else []
    return majors[-1] if majors else None


def ensure_installed(*, quiet: bool = True) -> str | None:
    """Install Debian's PostgreSQL and PostGIS when missing (as root with apt-get).

    Parameters
    ----------
    quiet : bool, default True
        Hide apt-get's output.

    Returns
    -------
    str or None
        None when the server can be run, else why not (the skip reason for tests).
    """
    if find_binaries() is not None:
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return (
            "PostGIS is not installed and cannot be installed here (needs root and apt-get); "
            "install Debian's postgresql and postgresql-<version>-postgis-3 packages"
        )
    out = subprocess.DEVNULL if quiet else None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        if _installed_major() is None:
            subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=out, stderr=out, env=env)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES_BASE],
                check=True,
                stdout=out,
                stderr=out,
                env=env,
            )
        package = f"postgresql-{_installed_major()}-postgis-3"
        cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
        if subprocess.run(cmd, check=False, stdout=out, stderr=out, env=env).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=out, stderr=out, env=env)
            subprocess.run(cmd, check=True, stdout=out, stderr=out, env=env)
    except subprocess.CalledProcessError as exc:
        return f"installing PostgreSQL/PostGIS with apt-get failed ({exc}); install them by hand"
    if find_binaries() is None:
        return "apt-get ran but no PostgreSQL with the PostGIS extension was found under /usr/lib/postgresql"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgisServer:
    """A PostGIS server in its own temporary cluster, on 127.0.0.1.

    Parameters
    ----------
    folder : str or os.PathLike, optional
        Where to make the cluster (created; must not exist). Default: a new temporary folder.
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.port = 0
        self.password = ""
        self.host = "127.0.0.1"
        self.user = SUPERUSER
        self.database = DATABASE

    # -------------------------------------------------------------- URLs
    @property
    def url(self) -> str:
        """``postgresql://landplan@127.0.0.1:PORT/landplan`` (no password: PGPASSWORD or .pgpass)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    @property
    def url_with_password(self) -> str:
        """The URL with the password in it."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"

    @property
    def sqlalchemy_url(self) -> str:
        """The URL for ``sqlalchemy.create_engine`` (psycopg 3 driver, with the password)."""
        return self.url_with_password.replace("postgresql://", "postgresql+psycopg://", 1)

    # -------------------------------------------------------------- life cycle
    def _as_owner(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        cmd = [*self._as_owner(), *map(str, args)]
        done = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd="/")
        if done.returncode != 0:
            msg = f"{' '.join(map(str, args[:1]))} failed ({done.returncode}): {done.stderr.strip()[-2000:]}"
            raise RuntimeError(msg)
        return done

    def start(self) -> PostgisServer:
        """Make the cluster, start the server and create the PostGIS database.

        Returns
        -------
        PostgisServer
            ``self``, running.
        """
        bindir = find_binaries()
        if bindir is None:
            msg = "no PostgreSQL with PostGIS under /usr/lib/postgresql; call ensure_installed() first"
            raise RuntimeError(msg)
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                msg = "running as root needs the `postgres` OS user (Debian's postgresql package creates it)"
                raise RuntimeError(msg) from exc
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="landplan-pg-"))
        else:
            self.folder.mkdir(parents=True)
        data = self.folder / "data"
        self.password = secrets.token_urlsafe(18)
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            for p in (self.folder, pwfile):
                os.chown(p, owner.pw_uid, owner.pw_gid)
            if subprocess.run([*self._as_owner(), "test", "-r", str(pwfile)], check=False).returncode != 0:
                shutil.rmtree(self.folder)
                msg = f"the postgres OS user cannot reach {self.folder}; give a folder it can enter (under /tmp)"
                raise RuntimeError(msg)
        self._run(
            bindir / "initdb",
            "-D",
            data,
            "-U",
            SUPERUSER,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        pwfile.unlink()
        for attempt in range(5):
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} "
                "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
            )
            try:
                self._run(bindir / "pg_ctl", "-D", data, "-l", self.folder / "log", "-o", options, "-w", "start")
                break
            except RuntimeError:  # the port was taken between finding it and binding it
                if attempt == 4:
                    raise
        self._save()
        socket_url = f"postgresql:///postgres?host={self.folder}&port={self.port}&user={SUPERUSER}"
        self._run(bindir / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", socket_url, "-c", f"CREATE DATABASE {DATABASE}")
        db_url = socket_url.replace("/postgres?", f"/{DATABASE}?", 1)
        self._run(bindir / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", db_url, "-c", "CREATE EXTENSION postgis")
        return self

    def stop(self) -> None:
        """Stop the server and remove its folder (safe to call twice)."""
        if self.folder is None or not self.folder.exists():
            return
        bindir = find_binaries()
        data = self.folder / "data"
        if bindir is not None and (data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self._run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PostgisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- shell use
    def _save(self) -> None:
        assert self.folder is not None
        state = self.folder / _STATE
        state.write_text(json.dumps({"port": self.port, "password": self.password}))
        state.chmod(0o600)

    @classmethod
    def attach(cls, folder: str | os.PathLike[str]) -> PostgisServer:
        """The server started earlier in ``folder`` (by ``start`` from the shell).

        Parameters
        ----------
        folder : str or os.PathLike
            The folder given to ``start``.

        Returns
        -------
        PostgisServer
            Not started again; :meth:`stop` stops it.
        """
        server = cls(folder)
        state: dict[str, Any] = json.loads((Path(folder) / _STATE).read_text())
        server.port, server.password = int(state["port"]), str(state["password"])
        return server


def main(argv: list[str] | None = None) -> int:
    """``install | start DIR | url DIR | stop DIR`` from the shell.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("command", choices=["install", "start", "url", "stop"])
    parser.add_argument("folder", nargs="?", help="cluster folder (start: must not exist)")
    args = parser.parse_args(argv)
    if args.command == "install":
        reason = ensure_installed(quiet=False)
        if reason:
            print(f"note: {reason}", file=sys.stderr)
        return 0
    if args.folder is None:
        parser.error(f"{args.command} needs the cluster folder")
    if args.command == "start":
        reason = ensure_installed()
        if reason:
            print(f"error: {reason}", file=sys.stderr)
            return 1
        started = time.perf_counter()
        server = PostgisServer(args.folder).start()
        print(f"started in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        print(server.url_with_password)
    elif args.command == "url":
        print(PostgisServer.attach(args.folder).url_with_password)
    else:
        PostgisServer.attach(args.folder).stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

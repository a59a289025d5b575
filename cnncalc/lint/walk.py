"""Which files ``cnncalc lint`` reads: paths, directories and globs, the way ruff walks them.

A directory is searched for the files its configuration includes (``*.yaml`` and ``*.yml``
unless ``include`` says otherwise), skipping what git ignores (``.gitignore`` files from the
repository's top down), hidden folders and the usual folders of other tools' files
(``node_modules``, ``build``, ``dist``, ``venv``, ``site-packages``, ``__pycache__``). Paths
named on the command line and glob matches are read as given (and linted whatever they
hold: only a file found in a directory may be skipped as some other tool's YAML). ``exclude``
patterns, from the configuration or ``--exclude``, apply to everything. A file reached twice
is read once.
"""

from __future__ import annotations

import glob
import os
import re
from fnmatch import fnmatchcase

SKIPPED_FOLDERS = frozenset({"node_modules", "build", "dist", "venv", "site-packages", "__pycache__"})
DEFAULT_INCLUDE = ("*.yaml", "*.yml")


def files_under(paths, settings) -> tuple:
    """``(files, missing, found)``: the files to lint under ``paths``, the paths matching
    nothing, and the files found by searching a directory (not named)."""
    files, missing, found = [], [], set()
    seen: dict = {}  # real path -> the path it was first listed under

    def add(path: str, searched: bool = False) -> None:
        key = os.path.realpath(path)
        if key in seen:
            if not searched:  # named too (`lint . net.yaml`): named wins, whatever the order
                found.discard(seen[key])
            return
        if not excluded(path, settings.for_path(path).exclude):
            seen[key] = path
            files.append(path)
            if searched:
                found.add(path)

    for path in paths:
        if path == "-":
            files.append(path)
            continue
        matches = sorted(glob.glob(path, recursive=True)) if any(ch in path for ch in "*?[") else [path]
        if not matches:
            missing.append(path)
        for match in matches:
            if os.path.isdir(match):
                for path_found in _walk(match, settings):
                    add(path_found, searched=True)
            elif os.path.exists(match):
                add(match)
            else:
                missing.append(match)
    return files, missing, found


def _walk(top: str, settings):
    ignored = GitIgnore(top)
    config = settings.for_path(top)
    include = config.include or DEFAULT_INCLUDE
    for root, dirs, names in os.walk(top):
        ignored.read(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in SKIPPED_FOLDERS
            and not ignored(os.path.join(root, d), True)
            and not excluded(os.path.join(root, d), config.exclude)
        )
        for name in sorted(names):
            path = os.path.join(root, name)
            relative = os.path.relpath(path, top).replace(os.sep, "/")
            if any(_match(relative, pattern) for pattern in include) and not ignored(path, False):
                yield path


def excluded(path: str, excludes) -> bool:
    """Whether ``path`` or a folder it is in matches a pattern; ``excludes`` pairs a folder
    (patterns are relative to it) with its patterns."""
    for root, patterns in excludes:
        if not patterns:
            continue
        relative = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
        if any(_match(relative, pattern) for pattern in patterns):
            return True
    return False


def _match(relative: str, pattern: str) -> bool:
    """A pattern matches the path, its file name, or one of the folders it is in."""
    pattern = pattern.strip("/").replace("**/", "*").replace("/**", "/*")
    parts = relative.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    return any(fnmatchcase(p, pattern) for p in prefixes) or any(fnmatchcase(part, pattern) for part in parts)


class GitIgnore:
    """The ``.gitignore`` rules over a walk: those of the folders above it up to the
    repository's top, and each folder's own as the walk enters it. The common forms:
    comments, ``!`` negation, a trailing ``/`` for folders only, a ``/`` inside for
    anchored patterns, ``*``, ``?``, ``[...]`` and ``**``."""

    def __init__(self, top: str):
        self.rules: list = []  # (folder, regex, negated, folders only), in order
        self.read_folders: set = set()
        folder, above = os.path.abspath(top), []
        while True:
            above.append(folder)
            if os.path.exists(os.path.join(folder, ".git")):
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                above = [os.path.abspath(top)]  # not in a repository: only the walk's own
                break
            folder = parent
        for folder in reversed(above):
            self.read(folder)

    def read(self, folder: str) -> None:
        folder = os.path.abspath(folder)
        if folder in self.read_folders:
            return
        self.read_folders.add(folder)
        try:
            with open(os.path.join(folder, ".gitignore"), encoding="utf-8", errors="replace") as stream:
                lines = stream.read().splitlines()
        except OSError:
            return
        for line in lines:
            line = line.rstrip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            line = line[1:] if negated else line
            folders_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            self.rules.append((folder, _regex(line.lstrip("/"), anchored), negated, folders_only))

    def __call__(self, path: str, is_folder: bool) -> bool:
        path = os.path.abspath(path)
        ignored = False
        for folder, regex, negated, folders_only in self.rules:
            if folders_only and not is_folder:
                continue
            if not path.startswith(folder + os.sep):
                continue
            if regex.fullmatch(os.path.relpath(path, folder).replace(os.sep, "/")):
                ignored = not negated
        return ignored


def _regex(pattern: str, anchored: bool):
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    body = "".join(out)
    return re.compile(body if anchored else f"(?:.*/)?{body}")

#!/usr/bin/env python3
"""The baseline for the inventory benchmark: the same work as
`chimera inventory --json`, written the way a user would with Python's
standard library alone.

Usage: python_baseline.py REPORTS.zip [--quiet]

It reads the whole zip into memory, then for every entry: skips folders,
sets OS junk aside, picks the type from the extension, takes the
modification time from the Info-ZIP extended timestamp when there is one
(else the DOS time), decompresses the entry (zipfile checks its CRC), and
for CSV, JSON and Markdown decodes UTF-8 and parses it (csv.reader,
json.loads). It counts files, bytes and the latest time per type and per
top-level folder, lists every entry and problem, and prints the result as
JSON, as the Rust CLI does. The last line on stderr is its own time and
peak RSS, from resource.getrusage.
"""

import csv
import io
import json
import resource
import struct
import sys
import time
import zipfile
from datetime import datetime, timezone

EXPECTED = ("reports", "csv_data", "artifacts")
TYPES = {"csv": "csv", "json": "json", "md": "md", "markdown": "md"}


def file_type(path):
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if "." not in name:
        return "other"
    return TYPES.get(name.rsplit(".", 1)[1].lower(), "other")


def is_junk(path):
    name = path.rsplit("/", 1)[-1]
    return path.startswith("__MACOSX/") or "/__MACOSX/" in path or name in (
        ".DS_Store", "Thumbs.db", "desktop.ini") or name.startswith("._")


def modified(info):
    """ISO time: exact from the 'UT' extra field, else the zone-less DOS time."""
    extra = info.extra
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, i)
        body = extra[i + 4:i + 4 + size]
        if tag == 0x5455 and size >= 5 and body[0] & 1:
            (mtime,) = struct.unpack_from("<I", body, 1)
            return datetime.fromtimestamp(mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        i += 4 + size
    y, mo, d, h, mi, s = info.date_time
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"


def check(kind, data):
    """None when the content is fine, else (problem kind, message)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return "not_utf8", f"not UTF-8 text: {error}"
    if "\0" in text:
        return "not_utf8", "not UTF-8 text: NUL bytes"
    if kind == "json":
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            return "invalid_json", f"invalid JSON: {error}"
    elif kind == "csv":
        width = None
        try:
            for line, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
                if width is None:
                    width = len(row)
                elif len(row) != width:
                    return "invalid_csv", f"invalid CSV at line {line}: {len(row)} fields where the first row has {width}"
        except csv.Error as error:
            return "invalid_csv", f"invalid CSV: {error}"
    return None


def inventory(path):
    with open(path, "rb") as f:
        raw = f.read()
    archive = zipfile.ZipFile(io.BytesIO(raw))
    by_type = {t: {"count": 0, "bytes": 0, "latest_modified": None} for t in ("csv", "json", "md", "other")}
    folders = {name: {"present": False, "files": 0} for name in EXPECTED}
    other_folders = {}
    top_level_files = 0
    entries, problems, junk = [], [], []
    for info in archive.infolist():
        name = info.filename
        if info.is_dir():
            continue
        if is_junk(name):
            junk.append({"path": name, "bytes": info.file_size})
            continue
        kind = file_type(name)
        when = modified(info)
        status = "ok"
        try:
            with archive.open(info) as member:
                if kind == "other":
                    while member.read(1 << 16):
                        pass
                    outcome = None
                else:
                    outcome = check(kind, member.read())
        except (zipfile.BadZipFile, OSError, RuntimeError) as error:
            outcome = ("corrupt_data", str(error))
        if outcome:
            status = "error"
            problems.append({"path": name, "kind": outcome[0], "message": outcome[1]})
        stats = by_type[kind]
        stats["count"] += 1
        stats["bytes"] += info.file_size
        if stats["latest_modified"] is None or when > stats["latest_modified"]:
            stats["latest_modified"] = when
        top = name.split("/", 1)[0] if "/" in name else None
        if top is None:
            top_level_files += 1
        elif top in folders:
            folders[top]["present"] = True
            folders[top]["files"] += 1
        else:
            other_folders[top] = other_folders.get(top, 0) + 1
        entries.append({"path": name, "type": kind, "bytes": info.file_size,
                        "modified": when, "status": status})
    return {
        "source": path.rsplit("/", 1)[-1],
        "files": len(entries),
        "bytes": sum(e["bytes"] for e in entries),
        "by_type": by_type,
        "directories": {**folders, "other": other_folders, "top_level_files": top_level_files},
        "entries": entries,
        "problems": problems,
        "junk": junk,
    }


def main():
    started = time.perf_counter()
    result = inventory(sys.argv[1])
    text = json.dumps(result, indent=2)
    if "--quiet" not in sys.argv:
        sys.stdout.write(text + "\n")
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"python baseline: {result['files']} files, {len(result['problems'])} problems, "
          f"{elapsed * 1000:.0f} ms, peak RSS {peak_kib / 1024:.1f} MiB", file=sys.stderr)


if __name__ == "__main__":
    main()

"""A PEP 517 build backend for the pure-Python sweepmux package, using only the standard library.

It builds the wheel (and an editable wheel, and an sdist) straight from sweepmux/*.py and the
[project] table of pyproject.toml, so pip needs neither network nor setuptools to install it.
"""

import base64
import hashlib
import io
import os
import tarfile
import zipfile

try:
    import tomllib
except ImportError:  # Python < 3.11 has no tomllib; the few keys used here are read by hand.
    tomllib = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "sweepmux"


def _project():
    path = os.path.join(ROOT, "pyproject.toml")
    if tomllib:
        with open(path, "rb") as f:
            return tomllib.load(f)["project"]
    project, section = {}, None
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "project" and "=" in line:
            key, value = (x.strip() for x in line.split("=", 1))
            project[key] = eval(value, {}, {})  # TOML strings and string lists are Python literals.
    return project


def _metadata():
    p = _project()
    lines = ["Metadata-Version: 2.1", f"Name: {p['name']}", f"Version: {p['version']}",
             f"Summary: {p.get('description', '')}", f"Requires-Python: {p.get('requires-python', '>=3')}"]
    lines += [f"Requires-Dist: {d}" for d in p.get("dependencies", [])]
    for extra, deps in p.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f"Requires-Dist: {d}; extra == \"{extra}\"" for d in deps]
    return p["name"], p["version"], "\n".join(lines) + "\n"


def _sources():
    pkg = os.path.join(ROOT, PACKAGE)
    for name in sorted(os.listdir(pkg)):
        if name.endswith(".py"):
            yield f"{PACKAGE}/{name}", os.path.join(pkg, name)


def _wheel(directory, files):
    """Writes a wheel holding FILES (archive name -> bytes) plus its dist-info; returns its name."""
    name, version, metadata = _metadata()
    info = f"{name}-{version}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: sweepmux-backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for arc, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{arc},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, wheel), "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data in files.items():
            z.writestr(arc, data)
    return wheel


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {arc: open(path, "rb").read() for arc, path in _sources()})


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # A .pth file puts this source tree on sys.path: edits take effect without reinstalling.
    return _wheel(wheel_directory, {f"_{PACKAGE}_editable.pth": (ROOT + "\n").encode()})


def build_sdist(sdist_directory, config_settings=None):
    name, version, metadata = _metadata()
    base = f"{name}-{version}"
    sdist = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, sdist), "w:gz") as t:
        members = [("pyproject.toml", os.path.join(ROOT, "pyproject.toml")),
                   ("_build/backend.py", os.path.abspath(__file__))] + list(_sources())
        for arc, path in members:
            t.add(path, arcname=f"{base}/{arc}")
        data = metadata.encode()
        ti = tarfile.TarInfo(f"{base}/PKG-INFO")
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    return sdist

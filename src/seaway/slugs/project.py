"""Which folder of an upload is the app: its root, or the subfolder PROJECT_PATH (or APP_BASE) names.

An app in a subfolder is built and run from there alone: its Procfile, version and lock files and
app.json are read in it, and nothing of the rest of the upload lands in the slug."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from seaway.slugs.errors import BuildError
from seaway.slugs.managers import MISSPELLED_REQUIREMENTS

PROJECT_VARS = ("PROJECT_PATH", "APP_BASE")  # ours and Heroku's; APP_BASE is the other monorepo buildpack's name
# What makes a folder a Python app (the buildpack's detection list, misspellings included: they get their own error).
PYTHON_PROJECT_FILES = (
    ".python-version", "__init__.py", "app.py", "main.py", "manage.py", "pdm.lock", "Pipfile", "Pipfile.lock",
    "poetry.lock", "pyproject.toml", "requirements.txt", "runtime.txt", "server.py", "setup.cfg", "setup.py",
    "uv.lock", *MISSPELLED_REQUIREMENTS, "__pycache__", ".venv", "venv",
)
# What a subfolder must hold to be named in the hint: a dependency file, not merely some Python code.
DEPENDENCY_MARKERS = ("requirements.txt", "pyproject.toml", "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock",
                      "setup.py")


def requested_project_path(config: dict[str, str]) -> tuple[str, PurePosixPath] | None:
    """(the config var that set it, the relative path) when the app asks for a subfolder."""
    for name in PROJECT_VARS:
        value = config.get(name, "").strip()
        if value and value.strip("/") not in ("", "."):
            return name, _checked_path(name, value)
    return None


def _checked_path(name: str, value: str) -> PurePosixPath:
    path = PurePosixPath(value.strip("/"))
    if value.startswith("/") or ".." in path.parts or "\\" in value:
        raise BuildError(
            f"{name}={value!r} must be a folder inside your source, relative to its top (e.g. `backend` or "
            f"`services/api`). Fix it with `seaway config:set {name}=backend`, or unset it with "
            f"`seaway config:unset {name}` to build from the top."
        )
    return path


def is_python_app(folder: Path) -> bool:
    return any((folder / name).exists() for name in PYTHON_PROJECT_FILES)


def select_project(upload: Path, config: dict[str, str]) -> tuple[Path, str | None]:
    """The app's folder inside `upload`, and the subfolder's name when it is one. Raises when the
    requested subfolder is missing, or when the top holds no app but a subfolder does."""
    requested = requested_project_path(config)
    if requested is None:
        if not is_python_app(upload):
            raise BuildError(_no_app_message(upload))
        return upload, None
    name, relative = requested
    folder = upload.joinpath(*relative.parts)
    if not _plain_folder(upload, relative):
        raise BuildError(
            f"{name}={relative} names no folder of your source. Its top holds: {_listing(upload)}. "
            f"Fix it with `seaway config:set {name}=FOLDER`, or unset it with `seaway config:unset {name}`."
        )
    if not is_python_app(folder):
        raise BuildError(f"No Python app detected in {relative}/ ({name}={relative}). " + _add_dependencies_hint())
    return folder, str(relative)


def _plain_folder(upload: Path, relative: PurePosixPath) -> bool:
    """A real folder at every step: a link could lead out of the upload."""
    current = upload
    for part in relative.parts:
        current = current / part
        if current.is_symlink() or not current.is_dir():
            return False
    return True


def _listing(folder: Path) -> str:
    names = sorted(f"{p.name}/" if p.is_dir() and not p.is_symlink() else p.name for p in folder.iterdir())
    return ", ".join(names[:30]) + (", …" if len(names) > 30 else "") if names else "nothing"


def app_subfolders(upload: Path) -> list[str]:
    """Folders one or two levels down that hold a dependency file: where an app of a monorepo lives."""
    found = []
    for marker in DEPENDENCY_MARKERS:
        for path in (*upload.glob(f"*/{marker}"), *upload.glob(f"*/*/{marker}")):
            folder = path.parent.relative_to(upload)
            if not any(part.startswith(".") or part in ("node_modules", "venv") for part in folder.parts):
                found.append(folder.as_posix())
    return sorted(set(found))


def _add_dependencies_hint() -> str:
    return ("Add a requirements.txt (e.g. `pip freeze > requirements.txt`), or a pyproject.toml with its "
            "uv.lock or poetry.lock, or a Pipfile with its Pipfile.lock. An app with no dependencies needs an "
            "empty requirements.txt.")


def _no_app_message(upload: Path) -> str:
    subfolders = app_subfolders(upload)
    if len(subfolders) == 1:
        folder = subfolders[0]
        return (f"No Python app detected at the top of your source, but {folder}/ holds one. Deploy it with "
                f"`seaway config:set PROJECT_PATH={folder}` (then deploy the whole source as before), or with "
                f"`seaway deploy {folder}`.")
    if subfolders:
        listed = ", ".join(f"{folder}/" for folder in subfolders)
        return (f"No Python app detected at the top of your source; these subfolders hold one: {listed}. "
                f"Choose one with `seaway config:set PROJECT_PATH=FOLDER`.")
    return (f"No Python app detected: the top of your source holds {_listing(upload)}, but no dependency "
            "file. " + _add_dependencies_hint())


def refuse_committed_venv(app_dir: Path) -> None:
    """A venv in the source only works on the machine that made it, and .venv is where the slug's goes."""
    for name in (".venv", "venv"):
        folder = app_dir / name
        if (folder / "pyvenv.cfg").is_file() or (name == ".venv" and (folder.exists() or folder.is_symlink())):
            raise BuildError(
                f"Your source holds a {name}/ folder. A venv works only on the machine that made it, and "
                "the slug's own venv goes at .venv: remove it from the repository (`git rm -r --cached "
                f"{name}`, then add `{name}/` to .gitignore). If bin/pre_compile makes it, make it elsewhere."
            )

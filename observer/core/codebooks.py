"""Loading and validating codebooks: shipped ones, user ones in the data directory, or any TOML path."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from observer.core.codebook_models import Codebook
from observer.core.errors import CodebookError

DEFAULT_CODEBOOK = "partnership"
CODEBOOK_MAX_BYTES = 1_000_000  # the shipped ones are a few kB; a larger file is not a codebook


def shipped_codebook_dir() -> Path:
    """Where the codebooks that come with the package are: inside it when installed, at the repo top in a checkout."""
    installed = Path(str(resources.files("observer"))) / "codebooks"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "codebooks"


@dataclass(frozen=True)
class CodebookEntry:
    codebook: Codebook
    path: Path
    shipped: bool


def load_codebook(path: Path) -> Codebook:
    """Read and validate one codebook file; raise CodebookError with a one-line reason."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(CODEBOOK_MAX_BYTES + 1)
    except FileNotFoundError:
        raise CodebookError(f"{path}: no such codebook file") from None
    except OSError as error:
        raise CodebookError(f"{path}: cannot read: {error.strerror}") from None
    if len(raw) > CODEBOOK_MAX_BYTES:
        raise CodebookError(f"{path}: over {CODEBOOK_MAX_BYTES // 1_000_000} MB, too large to be a codebook")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CodebookError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise CodebookError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:
        raise CodebookError(f"{path}: nested too deeply to be a codebook") from None
    try:
        return codebook_from_data(data, source=path.name)
    except RecursionError:
        raise CodebookError(f"{path}: nested too deeply to be a codebook") from None


def codebook_from_data(data: Any, source: str) -> Codebook:
    """Validate parsed codebook data; the error names ``source``, the code and the field."""
    if not isinstance(data, dict):
        raise CodebookError(f"{source}: a codebook must be a table of fields, not {type(data).__name__}")
    try:
        return Codebook.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = _describe_location(data, first["loc"])
        message = _describe_problem(first)
        raise CodebookError(f"{source}: {where}{message}") from None


def _describe_location(data: Any, location: tuple[int | str, ...]) -> str:
    """('dimensions', 0, 'codes', 2, 'key') -> "dimension 'orientation', code 'neutral', field 'key': "."""
    parts: list[str] = []
    node: Any = data
    index = 0
    while index < len(location):
        step = location[index]
        following = location[index + 1] if index + 1 < len(location) else None
        container = node.get(step) if isinstance(node, dict) and isinstance(step, str) else None
        if step in ("dimensions", "codes", "flags") and isinstance(following, int):
            item = container[following] if isinstance(container, list) and following < len(container) else None
            noun = {"dimensions": "dimension", "codes": "code", "flags": "flag"}[step]
            name = item.get("id") if isinstance(item, dict) else None
            parts.append(f"{noun} '{name}'" if isinstance(name, str) else f"{noun} #{following + 1}")
            node = item
            index += 2
            continue
        parts.append(f"field '{step}'")
        node = container
        index += 1
    return ", ".join(parts) + ": " if parts else ""


def _describe_problem(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field (not part of the codebook format)"
    if kind == "missing":
        return "required field is missing"
    if kind == "too_short" and error.get("loc", ())[-1:] in (("codes",), ("dimensions",)):
        return "must not be empty"
    message = str(error.get("msg", "is not valid"))
    return message.removeprefix("Value error, ")


def available_codebooks(user_dir: Path | None) -> tuple[list[CodebookEntry], list[CodebookError]]:
    """Shipped codebooks, then the user's (a user codebook with a shipped name wins); broken ones reported."""
    entries: dict[str, CodebookEntry] = {}
    problems: list[CodebookError] = []
    sources = [(shipped_codebook_dir(), True)]
    if user_dir is not None and user_dir.is_dir():
        sources.append((user_dir, False))
    for folder, shipped in sources:
        for path in sorted(folder.glob("*.toml")):
            try:
                codebook = load_codebook(path)
            except CodebookError as error:
                problems.append(error)
                continue
            entries[codebook.name] = CodebookEntry(codebook, path, shipped)
    return list(entries.values()), problems


def codebook_source(name_or_path: str, user_dir: Path | None) -> str:
    """The TOML text of a codebook, as ``codebooks check`` accepts it (comments included)."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix == ".toml" or candidate.exists():
        load_codebook(candidate)
        return candidate.read_text(encoding="utf-8")
    entries, _ = available_codebooks(user_dir)
    for entry in entries:
        if entry.codebook.name == name_or_path:
            return entry.path.read_text(encoding="utf-8")
    resolve_codebook(name_or_path, user_dir)  # raises, naming the codebooks there are
    raise CodebookError(f"no codebook named '{name_or_path}'")


def resolve_codebook(name_or_path: str | None, user_dir: Path | None) -> Codebook:
    """A codebook by name (shipped or user) or by file path; the default when None."""
    wanted = name_or_path or DEFAULT_CODEBOOK
    candidate = Path(wanted).expanduser()
    if candidate.suffix == ".toml" or candidate.exists():
        return load_codebook(candidate)
    entries, _ = available_codebooks(user_dir)
    for entry in entries:
        if entry.codebook.name == wanted:
            return entry.codebook
    known = ", ".join(sorted(entry.codebook.name for entry in entries)) or "none"
    raise CodebookError(f"no codebook named '{wanted}' (available: {known})")

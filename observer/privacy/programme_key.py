"""A programme key: one secret that gives a person the same pseudonym in every archive and every output.

A pseudonym is an HMAC-SHA256, under the key, of the person's name and organisation as the archive matches
names (case, accents, apostrophes and spacing ignored), cut to eight hex digits: ``P-7F3A9C2B``. Organisations,
series and observers likewise, each with its own prefix and its own domain in the hash. Whoever holds the key
can recompute (and so re-identify) every pseudonym; whoever does not cannot, nor tell two keys' pseudonyms
apart. Two names whose codes coincide within one output are an error, never a silent merge.

The key file is one line of text, ``observer-key-1 <64 hex digits> <8 hex digits>``: the last part is the
key's id (the start of its SHA-256), which checks the key for damage and names it in outputs without revealing it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from observer.core.errors import InputError, StorageError
from observer.core.models import Session
from observer.core.text import name_key
from observer.storage import system

KEY_BYTES = 32
KEY_FORMAT = "observer-key-1"
CODE_DIGITS = 8  # 32 bits: two of 5,000 people share a code about once in 350 programmes, and it is refused
MAX_KEY_FILE = 1024  # anything longer is not a key file

PARTICIPANT, ORGANISATION, OBSERVER, SERIES = "participant", "organisation", "observer", "series"
PREFIXES = {PARTICIPANT: "P", ORGANISATION: "O", OBSERVER: "R", SERIES: "S"}


def _key_id(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()[:8].upper()


@dataclass(frozen=True)
class ProgrammeKey:
    secret: bytes = field(repr=False)
    path: Path | None = None

    @property
    def key_id(self) -> str:
        """The key's public name (``K-1A2B3C4D``): outputs made with it say which key, without giving it away."""
        return f"K-{_key_id(self.secret)}"

    def code(self, kind: str, *parts: str, digits: int = CODE_DIGITS) -> str:
        """The pseudonym of ``parts`` (names, normalised here) of this kind: ``P-7F3A9C2B``."""
        message = "\x1f".join([kind, *(name_key(part) for part in parts)]).encode("utf-8")
        digest = hmac.new(self.secret, message, hashlib.sha256).hexdigest()
        return f"{PREFIXES[kind]}-{digest[:digits].upper()}"


def new_key_file(path: Path) -> ProgrammeKey:
    """Write a new key to ``path`` (owner-only), never over an existing file."""
    secret = secrets.token_bytes(KEY_BYTES)
    line = f"{KEY_FORMAT} {secret.hex()} {_key_id(secret)}\n".encode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | system.BINARY, 0o600)
    except FileExistsError:
        raise InputError(
            f"{path}: already exists; a key is never written over (the pseudonyms made with it would be lost)"
        ) from None
    except OSError as error:
        raise StorageError(f"{path}: cannot be written ({error.strerror or error})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        with contextlib.suppress(OSError):
            path.unlink()
        raise StorageError(f"{path}: cannot be written ({error.strerror or error}); no key was made") from None
    system.sync_names(path.parent)
    return ProgrammeKey(secret, path)


def read_key_file(path: Path) -> ProgrammeKey:
    """The key in ``path``; InputError in one line when it is missing, unreadable, short or damaged."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_KEY_FILE + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such key file (make one with 'observer key new {path}')") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a key file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the key file ({error.strerror or error})") from None
    if len(raw) > MAX_KEY_FILE:
        raise InputError(f"{path}: not a programme key (too long to be one)")
    try:
        parts = raw.decode("ascii").split()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a programme key (it is not the text 'observer key new' writes)") from None
    if not parts or parts[0] != KEY_FORMAT:
        raise InputError(
            f"{path}: not a programme key (it should begin '{KEY_FORMAT}'; make one with 'observer key new')"
        )
    if len(parts) != 3:
        raise InputError(f"{path}: the programme key is damaged or cut short (expected the key and its id)")
    _, hex_key, stated_id = parts
    try:
        secret = bytes.fromhex(hex_key)
    except ValueError:
        raise InputError(f"{path}: the programme key is damaged (its key is not hex digits)") from None
    if len(secret) != KEY_BYTES:
        raise InputError(f"{path}: the programme key is too short ({len(secret)} bytes, a key has {KEY_BYTES})")
    if _key_id(secret) != stated_id.upper():
        raise InputError(f"{path}: the programme key is damaged (its id does not match the key)")
    return ProgrammeKey(secret, path)


def loosely_kept(path: Path) -> bool:
    """The key file can be read by others than its owner (on systems with owner-only modes)."""
    if os.name == "nt":
        return False
    try:
        return bool(os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    except OSError:
        return False


class KeyedPseudonyms:
    """The pseudonyms of one output under a programme key, worked out from the names of each session.

    Looked up by (session, id) and remembered, so that a session's rows, written after its names were replaced,
    find the pseudonyms its names gave. Two different names with one code are refused (InputError).
    """

    def __init__(self, key: ProgrammeKey, digits: int = CODE_DIGITS) -> None:
        self.key = key
        self.digits = digits
        self._by_id: dict[tuple[str, str, str], str] = {}  # (kind, session id, record id) -> pseudonym
        self._names: dict[str, tuple[str, ...]] = {}  # pseudonym -> the normalised names it stands for

    def _code(self, kind: str, *names: str) -> str:
        pseudonym = self.key.code(kind, *names, digits=self.digits)
        normalised = tuple(name_key(name) for name in names)
        earlier = self._names.setdefault(pseudonym, normalised)
        if earlier != normalised:
            raise InputError(
                f"two different {kind}s share the pseudonym {pseudonym} under key {self.key.key_id}: nothing was "
                "written (a one-in-billions chance; a new key, 'observer key new', gives other codes)"
            )
        return pseudonym

    @property
    def names(self) -> dict[str, tuple[str, ...]]:
        """Each pseudonym given so far -> the normalised names it stands for (to check parts made apart)."""
        return self._names

    def participant_of(self, session: Session, participant_id: str) -> str:
        found = self._by_id.get((PARTICIPANT, session.id, participant_id))
        if found is not None:
            return found
        participant = session.participant(participant_id)
        if participant is None:
            raise InputError(f"session {session.id}: participant {participant_id} is not on its roster")
        organisation = session.organisation(participant.organisation_id)
        pseudonym = self._code(PARTICIPANT, participant.name, organisation.name if organisation else "")
        self._by_id[(PARTICIPANT, session.id, participant_id)] = pseudonym
        return pseudonym

    def organisation_of(self, session: Session, organisation_id: str) -> str:
        found = self._by_id.get((ORGANISATION, session.id, organisation_id))
        if found is not None:
            return found
        organisation = session.organisation(organisation_id)
        if organisation is None:
            raise InputError(f"session {session.id}: organisation {organisation_id} is not on its roster")
        pseudonym = self._code(ORGANISATION, organisation.name)
        self._by_id[(ORGANISATION, session.id, organisation_id)] = pseudonym
        return pseudonym

    def observer_of(self, name: str) -> str:
        return self._code(OBSERVER, name) if name else ""

    def series_of(self, name: str) -> str:
        return self._code(SERIES, name) if name else ""

    def learn(self, session: Session) -> None:
        """Work out every pseudonym of ``session`` now, from its names (before they are replaced). Two people
        of one name and organisation in one session would be one pseudonym: refused, never merged."""
        coded: dict[str, str] = {}
        for organisation in session.organisations:
            # Known by its pseudonym in what is written, one organisation must not become two's.
            if coded.setdefault(self.organisation_of(session, organisation.id), organisation.id) != organisation.id:
                raise InputError(
                    f"session {session.id}: two organisations are both '{organisation.name}' once case, accents "
                    "and spacing are ignored, so a key would give them one pseudonym; rename one first"
                )
        given: dict[str, str] = {}
        for participant in session.participants:
            pseudonym = self.participant_of(session, participant.id)
            if given.setdefault(pseudonym, participant.id) != participant.id:
                raise InputError(
                    f"session {session.id}: two attendees are both '{participant.name}' of the same organisation, "
                    "so a key would give them one pseudonym; rename one (an initial tells them apart) first"
                )
        self.observer_of(session.observer)
        self.series_of(session.series)

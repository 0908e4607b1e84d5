"""A BORIS project (format 7.0): participants as subjects, sessions as LIVE observations, the codebook as
the ethogram. ``docs/interop.md`` explains the mapping.

Each contribution becomes a "speaking" state event of its speaker, from its start to its end, and every
dimension value a state event of the same subject over the same span; flags are point events at the start.
So BORIS's time budget gives back our airtime per participant and per code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from observer import __version__
from observer.analysis import timing
from observer.core.clock import format_clock
from observer.core.codebook_models import Codebook
from observer.core.keys import SPEAKER_KEYS
from observer.core.models import SessionData
from observer.privacy.naming import Naming
from observer.storage.files import atomic_replace

FORMAT_VERSION = "7.0"
SPEAKING = "speaking"
STATE = "State event"
POINT = "Point event"
INDEPENDENT_VARIABLES = ("series", "agenda", "observer")


def behaviour_code(dimension: str, code: str) -> str:
    return f"{dimension}:{code}"


def flag_code(flag: str) -> str:
    return f"flag:{flag}"


def _ethogram(codebooks: list[Codebook]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    behaviours: list[dict[str, Any]] = [
        {
            "code": SPEAKING,
            "type": STATE,
            "key": "",
            "description": "A contribution: one person's turn of talk",
            "category": "Speaker",
        }
    ]
    categories = ["Speaker"]
    seen = {SPEAKING}
    for codebook in codebooks:
        for dimension in codebook.dimensions:
            if dimension.label not in categories:
                categories.append(dimension.label)
            for code in dimension.codes:
                name = behaviour_code(dimension.id, code.id)
                if name not in seen:
                    seen.add(name)
                    behaviours.append(
                        {
                            "code": name,
                            "type": STATE,
                            "key": code.key,
                            "description": f"{code.label}: {code.description}",
                            "category": dimension.label,
                        }
                    )
        for flag in codebook.flags:
            name = flag_code(flag.id)
            if name not in seen:
                if "Flags" not in categories:
                    categories.append("Flags")
                seen.add(name)
                behaviours.append(
                    {
                        "code": name,
                        "type": POINT,
                        "key": flag.key,
                        "description": f"{flag.label}: {flag.description}",
                        "category": "Flags",
                    }
                )
    conf = {
        str(index): {**behaviour, "color": "", "modifiers": {}, "excluded": "", "coding map": ""}
        for index, behaviour in enumerate(behaviours)
    }
    return conf, categories


def observation_events(data: SessionData) -> list[list[Any]]:
    """Events ``[time, subject, code, modifier, comment]`` in time order, state events paired.

    A state event starts with the contribution id as its comment and stops with an empty one: where a subject
    stops and starts the same behaviour at one instant, BORIS's sort puts the stop first, keeping pairs intact.
    """
    session = data.session
    people = {p.id: p.name for p in session.participants}
    organisations = {o.id: o.name for o in session.organisations}
    events: list[list[Any]] = []
    for span in timing.contribution_spans(data):
        contribution = span.contribution
        if contribution.participant_id is not None:
            subject = people.get(contribution.participant_id, "")
        else:
            subject = f"({organisations.get(contribution.organisation_id, '')})"
        start, end = round(span.start_s, 3), round(span.end_s, 3)
        # A zero-length span has no airtime, and its stop would sort before its start: no state events.
        behaviours = [SPEAKING] + [behaviour_code(d, c) for d, c in contribution.codes.items()] if end > start else []
        for behaviour in behaviours:
            events.append([start, subject, behaviour, "", contribution.id])
            events.append([end, subject, behaviour, "", ""])
        for flag in contribution.flags:
            events.append([start, subject, flag_code(flag), "", contribution.id])
    events.sort(key=lambda event: (event[0], event[1], event[2], event[4] != "", event[4]))
    return events


def _subjects(sessions: list[SessionData]) -> dict[str, dict[str, str]]:
    subjects: dict[str, tuple[str, str]] = {}
    for data in sessions:
        organisations = {o.id: o.name for o in data.session.organisations}
        for participant in data.session.participants:
            name = participant.name
            subjects.setdefault(name, (name, organisations.get(participant.organisation_id, "")))
        for organisation in data.session.organisations:
            name = f"({organisation.name})"
            subjects.setdefault(name, (name, "organisation only: speaker not identified"))
    return {
        str(index): {
            "key": SPEAKER_KEYS[index] if index < len(SPEAKER_KEYS) else "",
            "name": name,
            "description": description,
        }
        for index, (name, description) in enumerate(subjects.values())
    }


def boris_project(sessions: list[SessionData], naming: Naming) -> dict[str, Any]:
    """The whole project as one document, names as ``naming`` says (for a few sessions; ``write_boris`` streams
    it)."""
    shown = [naming.redact(data) for data in sessions]
    project = _project_head(shown, naming.pseudonymised)
    observations = dict(_observation(data) for data in shown)
    return {key: observations if key == "observations" else value for key, value in project.items()}


def _observation(data: SessionData) -> tuple[str, dict[str, Any]]:
    session = data.session
    started = session.started_at or dt.datetime.combine(session.meeting_date, dt.time(0), tzinfo=dt.UTC)
    agenda = "; ".join(f"{format_clock(item.start_s)} {item.title}" for item in session.agenda_items)
    observation_id = f"{session.meeting_date} {session.title} ({session.id})"
    return observation_id, {
        "file": {str(player): [] for player in range(1, 9)},
        "type": "LIVE",
        "date": started.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="milliseconds"),
        "description": f"{session.title} — coded with observer ({session.codebook.name} "
        f"{session.codebook.version}); times are on the session clock (pauses excluded)",
        "time offset": 0.0,
        "events": observation_events(data),
        "observation time interval": [0, 0],
        "independent_variables": {"series": session.series, "agenda": agenda, "observer": session.observer},
        "visualize_spectrogram": False,
        "visualize_waveform": False,
        "close_behaviors_between_videos": False,
        "scan_sampling_time": 0,
        "start_from_current_time": False,
        "start_from_current_epoch_time": False,
        "media_info": {},
    }


def _project_head(headers: list[SessionData], pseudonymised: bool) -> dict[str, Any]:
    """Everything of the project but its observations (which hold the events), from the sessions' records."""
    ethogram, categories = _ethogram([data.session.codebook for data in headers])
    return {
        "time_format": "hh:mm:ss",
        "project_date": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "project_name": headers[0].session.series or headers[0].session.title,
        "project_description": f"Exported by observer {__version__}" + (" (pseudonymised)" if pseudonymised else ""),
        "project_format_version": FORMAT_VERSION,
        "subjects_conf": _subjects(headers),
        "behaviors_conf": ethogram,
        "observations": {},
        "behavioral_categories": categories,
        "behavioral_categories_config": {str(i): {"name": name, "color": ""} for i, name in enumerate(categories)},
        "independent_variables": {
            str(index): {"label": label, "description": "", "type": "text", "default value": "", "possible values": ""}
            for index, label in enumerate(INDEPENDENT_VARIABLES)
        },
        "coding_map": {},
        "behaviors_coding_map": [],
        "converters": {},
    }


def write_boris(
    sessions: Iterable[SessionData], path: Path, naming: Naming, headers: list[SessionData] | None = None
) -> None:
    """The project written one observation at a time: the same bytes as ``json.dumps(boris_project(...),
    indent=1)``, with one session's events in memory instead of the archive's. ``sessions`` (and ``headers``)
    are as ``naming.redact`` leaves them."""
    if headers is None:
        sessions = headers = list(sessions)
    head = _project_head(headers, naming.pseudonymised)
    # The project as indent=1 writes it, split where the observations go.
    placeholder = "\u0000observations\u0000"
    text = json.dumps({**head, "observations": placeholder}, indent=1, ensure_ascii=False)
    before, after = text.split(json.dumps(placeholder, ensure_ascii=False))

    def write(handle: BinaryIO) -> None:
        handle.write(before.encode("utf-8"))
        empty = True
        for data in sessions:
            observation_id, observation = _observation(data)
            entry = f"{json.dumps(observation_id, ensure_ascii=False)}: " + json.dumps(
                observation, indent=1, ensure_ascii=False
            ).replace("\n", "\n  ")
            handle.write((("{\n  " if empty else ",\n  ") + entry).encode("utf-8"))
            empty = False
        handle.write(("{}" if empty else "\n }").encode("utf-8"))
        handle.write(after.encode("utf-8"))

    atomic_replace(path, write)

"""One colour per code, the same in the workbook's charts, the app's panels and the terminal's tables.

The colours are Okabe and Ito's palette for readers with colour-blindness ("Color Universal Design", 2002),
handed out in codebook order: the codebook's first code takes the first colour, and so on across its
dimensions, so a code keeps its colour in every chart, panel and table. An index is drawn in the colour of the
first code it counts (PFI in partnership-first's colour). The palette's black is left out, since it vanishes
on a dark terminal; a codebook with more than seven codes repeats colours from the eighth code on.
Whatever is not a code (airtime, share of the room, "uncoded") is grey. Organisations, which are not codes,
take the same colours in order on the trend charts, where a legend names each line.
"""

from __future__ import annotations

from collections.abc import Iterable

from observer.core.codebook_models import Codebook, IndexDefinition

# Okabe–Ito, in the order codes take them: the first few are the ones that stay apart on white, on a dark
# terminal and in greyscale print.
OKABE_ITO = (
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#0072B2",  # blue
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
)
NOT_A_CODE = "#999999"  # grey: uncoded, and measures that are not codes
NOT_A_CODE_DARK = "#555555"  # the darker of two grey series (share of airtime against share of the room)


BLACK = "#000000"  # Okabe–Ito's eighth colour: a series' colour only where the codes do not take it


def colours_apart(taken: Iterable[str]) -> list[str]:
    """The palette's colours no code or index on the page has taken (black among them), in order: for series
    that are not codes, such as organisations, so that no line is read as an index."""
    used = {colour.upper() for colour in taken}
    return [colour for colour in (*OKABE_ITO, BLACK) if colour.upper() not in used]


def colour_at(position: int) -> str:
    return OKABE_ITO[position % len(OKABE_ITO)]


def code_colours(codebook: Codebook) -> dict[tuple[str, str], str]:
    """(dimension id, code id) → colour, in codebook order across its dimensions."""
    codes = [(dimension.id, code.id) for dimension in codebook.dimensions for code in dimension.codes]
    return {code: colour_at(position) for position, code in enumerate(codes)}


def code_colour(codebook: Codebook, dimension_id: str, code_id: str) -> str:
    return code_colours(codebook).get((dimension_id, code_id), NOT_A_CODE)


def index_colour(codebook: Codebook, index: IndexDefinition) -> str:
    return code_colour(codebook, index.dimension, index.counts[0]) if index.counts else NOT_A_CODE


def index_colours(codebooks: Iterable[Codebook]) -> dict[str, str]:
    """Index id → colour; an index id two codebooks share takes the first codebook's colour."""
    colours: dict[str, str] = {}
    for codebook in codebooks:
        for index in codebook.indices:
            colours.setdefault(index.id, index_colour(codebook, index))
    return colours

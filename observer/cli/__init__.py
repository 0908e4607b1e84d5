"""The ``observer`` command line: ``main`` holds the group and names every command; each family of commands is a
module of its own (meetings, transcripts, exports, analysis, bundles, archive, key, pool, codebooks), loaded only
when one of its commands runs."""

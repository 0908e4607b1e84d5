"""Names replaced once, at the door: the numbered pseudonym registry, the programme key, and ``Naming``, which
turns a session's data into the same data as an export or a bundle may show it."""

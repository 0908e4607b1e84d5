"""The ``observer`` command line: ``main`` holds the group and the session commands, the rest one family each."""

"""The project's own errors: each carries one line that says what is wrong and where."""


class ObserverError(Exception):
    """Anything a user can cause or fix; the command line prints it as one line and exits non-zero."""


class CodebookError(ObserverError):
    """A codebook that cannot be used: the message names the file, the code and the field."""


class InputError(ObserverError):
    """A roster, bundle or option a user handed us that is not usable."""


class StorageError(ObserverError):
    """The archive could not be read or written; nothing already stored was changed."""


class SessionBeingMade(StorageError):
    """A session folder whose maker (a new session, the demo, an import) is still writing its first checkpoint."""


class SessionLockedError(StorageError):
    """Another live process has the session open for writing."""


class CorruptFileError(StorageError):
    """A stored file could not be read; it has been moved aside, never overwritten."""

"""observer: live coding of contributions in partnership meetings."""

__version__ = "0.1.0"

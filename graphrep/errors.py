"""The error raised for malformed graph input (also ``graphrep.GraphFormatError``)."""

__all__ = ["GraphFormatError"]


class GraphFormatError(ValueError):
    """Raised when graph input is malformed; names the file and line when known."""

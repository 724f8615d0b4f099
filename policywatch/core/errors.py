"""One exception root. A PolicywatchError is a user-facing failure: the CLI prints its message,
no traceback."""


class PolicywatchError(Exception):
    """Something the user can fix; the message says what happened and what to do."""


class ServiceUnavailable(PolicywatchError):
    """Kafka or Elasticsearch cannot be reached (transient: retry later)."""


class SkipMessage(Exception):
    """Expected, not a failure: a message a stage deliberately drops."""


class ProcessingError(Exception):
    """A message that cannot be processed; after bounded retries it goes to the dead-letter topic."""

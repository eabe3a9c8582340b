"""The package's one error type for bad input."""


class InputError(ValueError):
    """Raised for input a user can get wrong: an unknown scheme, a bad shape or parameter, a bad file.

    The message is written for the person who made the mistake; the app shows it as it is.
    """

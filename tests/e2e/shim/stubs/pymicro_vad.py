"""Stand-in for pymicro-vad, which needs Python's C headers to build (not on every machine).

Home Assistant imports every base entity component (assist_pipeline among them) when the
frontend asks for the action descriptions; nothing here uses voice activity detection.
sitecustomize.py puts this directory at the end of sys.path, so an installed package wins.
"""


class MicroVad:
    """Never used by these tests."""

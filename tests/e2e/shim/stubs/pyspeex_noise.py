"""Stand-in for pyspeex-noise (needs Python's C headers to build); see pymicro_vad.py."""


class AudioProcessor:
    """Never used by these tests."""

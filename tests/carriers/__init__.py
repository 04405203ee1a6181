"""Tests of the Home Assistant-free carrier library."""

"""Tests for the Japan SIM Data integration."""

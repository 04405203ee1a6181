"""The Japan SIM Data integration."""

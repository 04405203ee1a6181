"""End-to-end tests: a real Home Assistant process, its REST API and a real browser."""

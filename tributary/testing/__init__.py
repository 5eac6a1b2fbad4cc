"""Tooling for tests, benchmarks, scripts and the demo: throwaway PostgreSQL servers and
databases, and a normalized schema dump. The worker runtime and the client never import it."""

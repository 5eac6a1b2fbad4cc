"""Tributary: DAG workflows run by PostgreSQL."""

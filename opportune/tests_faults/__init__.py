"""Faults survived, with real processes (marked ``faults``): a worker killed in the middle of a
job, PostgreSQL restarted under a write load, Redis down. Run with ``-m faults``."""

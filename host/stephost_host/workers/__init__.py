"""`stephost start --workers N`: N hosts on one machine, sharing its HTTP port.

One host is one Python process with one event loop, and under load that loop's thread is
what bounds it (docs/benchmarks.md): it saturates one core while the others idle. Workers
are the scale-out story (many hosts on one NATS, each its own consumers and sidecars) on one
machine, with the parts a machine shares done once by a manager process (manager.py): the
embedded nats-server, the project's secret and dependencies, the HTTP port (each worker
listens on it with SO_REUSEPORT, and the kernel spreads connections over them), runtime.json,
and restarting a worker that dies. What differs per worker is in role.py.
"""

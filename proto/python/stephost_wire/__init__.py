"""The wire package: generated stubs for both protocols (``stephost_wire.v1``), the codec
shared by every Python peer (``codec``) and the project-file conventions (``project``).

The host, the Python sidecar and the ingress client import it; step authors never need to.
"""

"""The generated stubs this sidecar speaks, and the codec that goes with them.

Both live in the wire package (``stephost_wire``, generated from
``proto/stephost/v1/sidecar.proto`` by ``make protos``); every other module imports them
from here so the sidecar names its wire dependency once.
"""

from stephost_wire import codec
from stephost_wire.v1 import sidecar_pb2 as pb
from stephost_wire.v1 import sidecar_pb2_grpc as pb_grpc

__all__ = ["codec", "pb", "pb_grpc"]

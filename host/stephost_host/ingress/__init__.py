"""The public gRPC ingress (proto/stephost/v1/ingress.proto): services that are not steps emit
events into flows, read and write state, read and follow streams, and list the steps."""

from stephost_host.ingress.server import IngressPort, check_settings, server_credentials
from stephost_host.ingress.service import IngressService

__all__ = ["IngressPort", "IngressService", "check_settings", "server_credentials"]

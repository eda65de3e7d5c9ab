"""The generated Fabric protobuf classes and grpc, behind one seam.

Neither grpcio nor protobuf ships type information, and `fabric_protos` builds its message
classes at import time, so mypy cannot see their attributes. They are imported here, typed `Any`,
and every other module of the client turns what it reads from them into plain typed values at
once (bytes, int, str), so `Any` never crosses a public signature.

`RpcStatus` is `google.rpc.Status`, the message gRPC puts in the `grpc-status-details-bin`
trailer. Its generated module ships with googleapis-common-protos, which the project does not
depend on; the class is built here from its three-field definition in a private descriptor pool,
so it cannot clash with that package if it is ever installed.
"""

from __future__ import annotations

import importlib
from typing import Any


def _module(name: str) -> Any:
    return importlib.import_module(name)


grpc: Any = _module("grpc")
common: Any = _module("fabric_protos.common.common_pb2")
ledger: Any = _module("fabric_protos.common.ledger_pb2")
identities: Any = _module("fabric_protos.msp.identities_pb2")
proposal: Any = _module("fabric_protos.peer.proposal_pb2")
proposal_response: Any = _module("fabric_protos.peer.proposal_response_pb2")
chaincode: Any = _module("fabric_protos.peer.chaincode_pb2")
chaincode_event: Any = _module("fabric_protos.peer.chaincode_event_pb2")
transaction: Any = _module("fabric_protos.peer.transaction_pb2")
orderer: Any = _module("fabric_protos.orderer.ab_pb2")
gateway: Any = _module("fabric_protos.gateway.gateway_pb2")
gateway_grpc: Any = _module("fabric_protos.gateway.gateway_pb2_grpc")
timestamp: Any = _module("google.protobuf.timestamp_pb2")
DecodeError: Any = _module("google.protobuf.message").DecodeError

STATUS_DETAILS_KEY = "grpc-status-details-bin"


def _rpc_status_class() -> Any:
    descriptor_pb2 = _module("google.protobuf.descriptor_pb2")
    any_pb2 = _module("google.protobuf.any_pb2")
    field = descriptor_pb2.FieldDescriptorProto
    pool = _module("google.protobuf.descriptor_pool").DescriptorPool()
    any_file = descriptor_pb2.FileDescriptorProto()
    any_pb2.DESCRIPTOR.CopyToProto(any_file)
    pool.Add(any_file)
    status_file = descriptor_pb2.FileDescriptorProto(
        name="google/rpc/status.proto",
        package="google.rpc",
        dependency=["google/protobuf/any.proto"],
        syntax="proto3",
    )
    message = status_file.message_type.add(name="Status")
    message.field.add(name="code", number=1, type=field.TYPE_INT32, label=field.LABEL_OPTIONAL)
    message.field.add(name="message", number=2, type=field.TYPE_STRING, label=field.LABEL_OPTIONAL)
    message.field.add(
        name="details",
        number=3,
        type=field.TYPE_MESSAGE,
        label=field.LABEL_REPEATED,
        type_name=".google.protobuf.Any",
    )
    pool.Add(status_file)
    factory = _module("google.protobuf.message_factory")
    return factory.GetMessageClass(pool.FindMessageTypeByName("google.rpc.Status"))


RpcStatus: Any = _rpc_status_class()

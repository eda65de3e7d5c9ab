"""The PharmaTrace contract as a Fabric chaincode service (chaincode as a service, ccaas).

A Fabric v3 peer dials this gRPC server and speaks the chaincode protocol on a bidirectional
stream. This package implements that protocol itself, on `hyperledger-fabric-protos` and grpcio,
instead of using the PyPI shim `fabric-chaincode-python` (never imported here: importing it alone
turns the root logger to DEBUG). See `handler` for the protocol and the guarantees, `stub` for the
contract's `ChaincodeStub` over the stream, `server` for the process.

Run: `python -m chaincode.fabric_service --address 127.0.0.1:9999 --package-id pharmatrace_1:<hash>`
"""

"""`python -m chaincode.fabric_service --address HOST:PORT --package-id LABEL:HASH`."""

from chaincode.fabric_service.server import main

raise SystemExit(main())

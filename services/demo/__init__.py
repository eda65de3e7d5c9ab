"""The demo: a realistic small European supply chain with planted problems, on a simulated clock.

`build_demo` fills a fresh Runtime with regulators, manufacturers, wholesalers and pharmacies,
products, batches, shipments, dispenses and the classic problems a verification system must catch
(a cloned serial, a recalled batch, a pack outside the registered supply chain, an expired pack).
`pharmatrace demo` builds it and serves the API over it.
"""

from services.demo.clock import SimulatedClock
from services.demo.result import DemoIncident, DemoOrganization, DemoResult, DemoSample, DemoUser
from services.demo.scenario import DemoProgress, build_demo, demo_runtime

__all__ = [
    "DemoIncident",
    "DemoOrganization",
    "DemoProgress",
    "DemoResult",
    "DemoSample",
    "DemoUser",
    "SimulatedClock",
    "build_demo",
    "demo_runtime",
]

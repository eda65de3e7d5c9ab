"""The problems planted in the demo for verification to catch, each kept as a sample code.

  (a) a cloned serial: dispensed in Berlin, then scanned in Munich, which holds the same batch;
  (b) a recalled batch still on a Paris pharmacy's shelf;
  (c) a Marseille pharmacy scanning and trying to dispense insulin nobody shipped to it;
  (d) short-dated amoxicillin delivered to Munich, whose expiry has passed;
plus a genuine pack (green), a pack whose shipment is still in transit (amber) and a serial that
was never registered. Where a pharmacist would try to dispense anyway, the refusal is recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.demo.network import IN_TRANSIT, RECALL_DAY, RECALL_REASON
from services.domain import batches
from services.serials.generate import generate_serials

if TYPE_CHECKING:
    from services.demo.scenario import Scenario


def plan_planted_problems(s: Scenario) -> None:
    plan_clone(s)
    plan_recall(s)
    plan_outside_supply_chain(s)
    plan_expired(s)
    plan_in_transit(s)
    plan_genuine_and_unknown(s)


def plan_clone(s: Scenario) -> None:
    cloned = s.reserve("atv")  # Berlin dispenses it; a copy of its code turns up

    def dispense_in_berlin() -> None:
        s.dispense("berlin", "atv", cloned)

    def scan_in_munich() -> None:
        s.scan_and_try_dispense("munich", cloned)

    s.schedule(116.3, dispense_in_berlin)
    s.schedule(118.2, scan_in_munich)
    s.add_sample(
        "Cloned serial: already dispensed in Berlin, scanned in Munich",
        cloned,
        "ALREADY_DISPENSED",
        "red",
        "munich",
    )


def plan_recall(s: Scenario) -> None:
    recalled = s.reserve("sal")

    def recall() -> None:
        batches.change_batch_status(
            s.rt,
            actor=s.actor("dublin"),
            gtin=recalled.gtin or "",
            lot=recalled.lot or "",
            status="recalled",
            reason=RECALL_REASON,
        )

    s.schedule(RECALL_DAY, recall)
    s.schedule(104.4, lambda: s.scan_and_try_dispense("paris", recalled))
    s.add_sample(
        "Recalled batch still on the shelf in Paris",
        recalled,
        "BATCH_RECALLED",
        "red",
        "paris",
    )


def plan_outside_supply_chain(s: Scenario) -> None:
    stray = s.reserve("gla")
    s.schedule(119.2, lambda: s.scan_and_try_dispense("marseille", stray))
    s.add_sample(
        "Insulin never shipped to Marseille (custody without shipment)",
        stray,
        "NOT_IN_CUSTODY",
        "red",
        "marseille",
    )


def plan_expired(s: Scenario) -> None:
    expired = s.reserve("amx_short")
    s.schedule(119.3, lambda: s.scan_and_try_dispense("munich", expired))
    s.add_sample(
        "Expired pack (short-dated amoxicillin) in Munich",
        expired,
        "PACK_EXPIRED",
        "red",
        "munich",
    )


def plan_in_transit(s: Scenario) -> None:
    day, sender, receiver, lines = IN_TRANSIT
    s.plan_shipment(99, day, sender, receiver, lines, received=False)
    s.add_sample(
        "Ibuprofen on its way to Marseille, not received yet",
        s.reserve("ibu"),
        "NOT_RECEIVED",
        "amber",
        "marseille",
    )


def plan_genuine_and_unknown(s: Scenario) -> None:
    s.add_sample("Genuine pack in Paris", s.reserve("met"), "OK", "green", "paris")
    atv = s.stock["atv"]
    fake = generate_serials(1, avoid=atv.registered)[0]
    s.add_sample(
        "Serial never registered (counterfeit) in Berlin",
        atv.code(fake),
        "UNKNOWN_SERIAL",
        "red",
        "berlin",
    )

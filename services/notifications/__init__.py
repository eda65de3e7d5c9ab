"""Live notifications: batch status changes and new alerts, pushed to open clients.

`hub` (thread-safe fan-out to asyncio subscribers with bounded queues), `batch_status` (notices
from the indexer's blocks), `alerts` (notices from the detection outbox), `stream` (the
server-sent events wire format and resuming), served by services/api/routes/notifications.py.
"""

"""Noticing and reacting to changes people make in Google Calendar (issue 11).

- `classify`: pure — one changed event plus what the database says → reactions.
- `facts`: loads what the database says about the sessions behind a batch of events.
- `state`: the sync row (token, lease, push channel) and its compare-and-set moves.
- `reactions`: carries reactions out (record answers, release a decliner, needs attention).
- `job`: one sync tick (incremental, or a full resync after 410), leased across replicas.
- `channel`: the `events.watch` channel's lifecycle (open, renew, stop).
"""

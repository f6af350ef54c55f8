"""``POST /clients/batch``: upsert clients with the CSV import's rules, all or nothing."""

from __future__ import annotations

from survey.api.registry import ADMIN, operation
from survey.api.schemas import ClientBatch, ClientBatchResult
from survey.services import client_import


@operation("POST", "/clients/batch", summary="Upsert a batch of clients (all or nothing)", tag="clients",
           roles=ADMIN, body=ClientBatch, response=ClientBatchResult)
def clients_batch(call):
    records = [c.model_dump(exclude_unset=True) for c in call.body.clients]
    result = client_import.import_records(call.db, records, source="clients", actor=call.actor)
    return ClientBatchResult(rows=result.rows, inserted=result.inserted, updated=result.updated)

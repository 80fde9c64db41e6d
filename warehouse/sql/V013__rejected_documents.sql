-- Mart: one row per rejected input, with the reason it was not ingested.
create or replace view rejected_documents as
select source_uri, source_name, reason, detected_at, content_hash
from raw_rejected_documents;

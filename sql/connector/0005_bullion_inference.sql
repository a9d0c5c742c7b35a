-- Issue 15: records whose text had to be altered to be storable, and producers created
-- from the bullion knowledge file.

-- Errors about the payload itself, kept whatever its mapping gives: a NUL character or a
-- lone surrogate replaced by U+FFFD so that the record could be stored at all.
ALTER TABLE external_product ADD COLUMN storage_errors jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE external_order ADD COLUMN storage_errors jsonb NOT NULL DEFAULT '[]'::jsonb;

-- On: a producer that the bullion knowledge file names (mapping/knowledge/bullion.json)
-- but goldsphere's producer table lacks is created, active, with its country. Never for
-- strings the knowledge file does not know.
ALTER TABLE external_sync_config
  ADD COLUMN create_missing_producers boolean NOT NULL DEFAULT true;

-- What a large first sync pays per row, made smaller.
--
-- The unique (connector_id, external_id) indexes already serve every lookup by connector;
-- the single-column indexes only cost an extra index insert for every row written and
-- every status change.
DROP INDEX IF EXISTS external_product_connector_idx;
DROP INDEX IF EXISTS external_order_connector_idx;

-- Raw and mapped payloads are a few kilobytes each, just over the size at which PostgreSQL
-- compresses a value. lz4 compresses them about three times faster than the default pglz
-- (a measured third of the cost of storing an order). A server built without lz4 keeps pglz.
DO $$
BEGIN
  ALTER TABLE external_product ALTER COLUMN raw_payload_json SET COMPRESSION lz4;
  ALTER TABLE external_product ALTER COLUMN mapped_payload_json SET COMPRESSION lz4;
  ALTER TABLE external_order ALTER COLUMN raw_payload_json SET COMPRESSION lz4;
  ALTER TABLE external_order ALTER COLUMN mapped_payload_json SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 is not available in this PostgreSQL build; payloads stay pglz-compressed';
END
$$;

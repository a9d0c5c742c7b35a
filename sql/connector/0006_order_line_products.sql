-- Orders whose product is gone: a line item naming a product or variation that the shop
-- no longer has (and that we never imported) maps to a goldsphere product built from the
-- line itself. Its external_reference says so, so that an admin can tell such products
-- from the ones mapped from the shop's own records.
--
-- derived_from: NULL for a reference mapped from the shop's record; 'order_line' for a
-- product built from an order line.
ALTER TABLE external_reference ADD COLUMN IF NOT EXISTS derived_from varchar(20)
  CHECK (derived_from IS NULL OR derived_from IN ('order_line'));

-- Products and variations the shop answered 404 for while an order still names them:
-- asked once, then known, so that a re-sync or a re-mapping without fetching knows them too.
CREATE TABLE IF NOT EXISTS external_gone_product (
  connector_id uuid NOT NULL REFERENCES external_connector(id) ON DELETE CASCADE,
  external_id text NOT NULL,
  confirmed_at timestamp NOT NULL DEFAULT now(),
  PRIMARY KEY (connector_id, external_id)
);

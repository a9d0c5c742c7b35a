-- Mapping walks a connector's pending rows in primary-key order, a batch at a time. These
-- partial indexes hold exactly those rows, so each batch is an index range scan instead of
-- a scan and sort of every pending row (which made a large first sync quadratic).
DROP INDEX external_product_pending_idx;
DROP INDEX external_order_pending_idx;

CREATE INDEX external_product_pending_idx
  ON external_product (connector_id, id) WHERE status = 'pending';

CREATE INDEX external_order_pending_idx
  ON external_order (connector_id, id) WHERE status = 'pending' OR awaiting_dependency;

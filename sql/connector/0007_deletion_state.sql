-- What left the shop: one deletion model for syncs (trash listing, reconciliation) and
-- webhooks. Nothing is hard-deleted on our side: the raw payload stays, and a restore
-- clears the state and sends the record back to mapping.
--
-- deleted_at: when we learned of it; deleted_how: how —
--   trashed: listed with status=trash (WooCommerce's DELETE without force),
--   gone:    missing from a complete id listing (DELETE ?force=true),
--   webhook: a product.deleted / order.deleted delivery.
-- A deleted row has status 'deleted': mapping skips it, and counts show it apart from
-- mapped rows (a trashed record we never mapped is deleted, not mapped).
ALTER TABLE external_product
  ADD COLUMN deleted_at timestamp,
  ADD COLUMN deleted_how varchar(10),
  DROP CONSTRAINT external_product_status_known,
  ADD CONSTRAINT external_product_status_known
    CHECK (status IN ('pending', 'mapped', 'failed', 'deleted')),
  ADD CONSTRAINT external_product_deleted_how_known
    CHECK (deleted_how IN ('trashed', 'gone', 'webhook')),
  ADD CONSTRAINT external_product_deleted_consistent
    CHECK ((deleted_at IS NULL) = (deleted_how IS NULL)
           AND (deleted_at IS NULL) = (status <> 'deleted'));

ALTER TABLE external_order
  ADD COLUMN deleted_at timestamp,
  ADD COLUMN deleted_how varchar(10),
  DROP CONSTRAINT external_order_status_known,
  ADD CONSTRAINT external_order_status_known
    CHECK (status IN ('pending', 'mapped', 'failed', 'deleted')),
  ADD CONSTRAINT external_order_deleted_how_known
    CHECK (deleted_how IN ('trashed', 'gone', 'webhook')),
  ADD CONSTRAINT external_order_deleted_consistent
    CHECK ((deleted_at IS NULL) = (deleted_how IS NULL)
           AND (deleted_at IS NULL) = (status <> 'deleted'));

-- Each extract pass loads the connector's deleted ids (few) to notice restores without a
-- lookup per page.
CREATE INDEX external_product_deleted_idx
  ON external_product (connector_id, external_id) WHERE deleted_at IS NOT NULL;
CREATE INDEX external_order_deleted_idx
  ON external_order (connector_id, external_id) WHERE deleted_at IS NOT NULL;

-- The goldsphere row of a deleted record stays (orders reference products); its reference
-- says the shop no longer has it.
ALTER TABLE external_reference ADD COLUMN deleted_at timestamp;

-- Per connector: what a deleted order does to goldsphere's order. keep: nothing but the
-- flag on its reference; cancel: orderstatus = cancelled (a restore maps it again).
ALTER TABLE external_sync_config
  ADD COLUMN on_order_deleted varchar(10) NOT NULL DEFAULT 'keep',
  ADD CONSTRAINT external_sync_config_on_order_deleted_known
    CHECK (on_order_deleted IN ('keep', 'cancel'));

-- A reconciliation pass that would mark more than this share of a connector's records gone
-- stops and marks nothing (a partial listing looks exactly like a mass deletion).
ALTER TABLE external_sync_config
  ADD COLUMN removal_share_limit numeric(5, 4) NOT NULL DEFAULT 0.2,
  ADD CONSTRAINT external_sync_config_removal_share_range
    CHECK (removal_share_limit > 0 AND removal_share_limit <= 1);

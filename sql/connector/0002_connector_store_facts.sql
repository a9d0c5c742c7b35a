-- What the store told us about itself at the last test or sync. Products carry no currency
-- in WooCommerce: mapping needs the store's, and it must not cost an HTTP call per batch.
ALTER TABLE external_connector
  ADD COLUMN store_currency varchar(3),
  ADD COLUMN woocommerce_version varchar(40);

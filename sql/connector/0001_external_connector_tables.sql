-- The connector tables of the original design ("Database Migrations (SQL Draft)" in
-- external-connectors.md), every draft column kept, completed where the draft falls short.
-- Timestamps are `timestamp` as in the draft and in goldsphere's own schema; the
-- project's engine sets the session time zone to UTC, so every value is UTC.

CREATE TABLE external_connector (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- A short slug for people and for Dagster (it is the partition key), immutable.
  name varchar(63) NOT NULL,
  type varchar(50) NOT NULL DEFAULT 'woocommerce',
  base_url text NOT NULL,
  status varchar(20) NOT NULL DEFAULT 'active',
  -- basic: HTTP Basic over HTTPS; query: keys as query parameters over HTTPS;
  -- oauth1: one-legged OAuth 1.0a (HMAC-SHA256), what WooCommerce requires over plain HTTP.
  auth_mode varchar(20) NOT NULL DEFAULT 'basic',
  -- PEM bundle for stores with self-signed or corporate certificates; stored so that
  -- runs on other machines need no file.
  ca_bundle_pem text,
  last_test_at timestamp,
  last_test_success boolean,
  last_test_message text,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  CONSTRAINT external_connector_name_unique UNIQUE (name),
  CONSTRAINT external_connector_name_slug CHECK (name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  CONSTRAINT external_connector_type_known CHECK (type IN ('woocommerce')),
  CONSTRAINT external_connector_status_known CHECK (status IN ('active', 'disabled', 'error')),
  CONSTRAINT external_connector_auth_mode_known CHECK (auth_mode IN ('basic', 'query', 'oauth1'))
);

-- The name is the Dagster partition key and part of external_reference.source:
-- renaming would orphan both, so the database refuses it.
CREATE FUNCTION external_connector_name_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.name IS DISTINCT FROM OLD.name THEN
    RAISE EXCEPTION 'external_connector.name is immutable (% -> %)', OLD.name, NEW.name
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER external_connector_name_immutable
  BEFORE UPDATE OF name ON external_connector
  FOR EACH ROW EXECUTE FUNCTION external_connector_name_immutable();

CREATE TABLE external_credential (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  connector_id uuid NOT NULL REFERENCES external_connector(id) ON DELETE CASCADE,
  -- Fernet tokens (MultiFernet over GOLDSPHERE_CREDENTIALS_KEY); never plain text.
  encrypted_key text NOT NULL,
  encrypted_secret text NOT NULL,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  CONSTRAINT external_credential_one_per_connector UNIQUE (connector_id)
);

CREATE TABLE external_sync_config (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  connector_id uuid NOT NULL REFERENCES external_connector(id) ON DELETE CASCADE,
  sync_products boolean NOT NULL DEFAULT true,
  sync_orders boolean NOT NULL DEFAULT true,
  mappings_json jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Incremental sync state; each advances only after the rows it covers are committed.
  orders_modified_watermark timestamp,
  products_modified_watermark timestamp,
  last_full_product_sync_at timestamp,
  -- Set when the store was seen ignoring modified_after (WooCommerce < 5.8): always sync in full.
  modified_filter_unsupported boolean NOT NULL DEFAULT false,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  CONSTRAINT external_sync_config_one_per_connector UNIQUE (connector_id)
);

CREATE TABLE external_sync_run (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  connector_id uuid NOT NULL REFERENCES external_connector(id) ON DELETE CASCADE,
  status varchar(20) NOT NULL,
  started_at timestamp NOT NULL,
  finished_at timestamp,
  stats_json jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- What ended a failed run, as a sentence for an admin.
  error text,
  -- Who started it: dagster-ui, cli, schedule, admin-api, bench, demo.
  trigger varchar(30) NOT NULL DEFAULT 'dagster',
  dagster_run_id text,
  CONSTRAINT external_sync_run_status_known CHECK (status IN ('running', 'success', 'failed'))
);

CREATE INDEX external_sync_run_connector_started_idx
  ON external_sync_run (connector_id, started_at DESC);

CREATE TABLE external_mapping_rule (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  connector_id uuid NOT NULL REFERENCES external_connector(id) ON DELETE CASCADE,
  entity_type varchar(20) NOT NULL,
  source_field text NOT NULL,
  target_field text NOT NULL,
  transform_json jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  CONSTRAINT external_mapping_rule_entity_known CHECK (entity_type IN ('product', 'order'))
);

CREATE INDEX external_mapping_rule_connector_idx
  ON external_mapping_rule (connector_id, entity_type);

CREATE TABLE external_reference (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Identifies the shop, not only the platform: 'woocommerce:<connector id>'
  -- (two stores both have a product 123).
  source varchar(50) NOT NULL,
  entity_type varchar(20) NOT NULL,
  external_id text NOT NULL,
  internal_id uuid NOT NULL,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX external_reference_unique
  ON external_reference (source, entity_type, external_id);

CREATE INDEX external_reference_internal_idx
  ON external_reference (entity_type, internal_id);

CREATE TABLE external_product (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  connector_id uuid NOT NULL REFERENCES external_connector(id) ON DELETE CASCADE,
  external_id text NOT NULL,
  -- For a variation, the id of its variable parent product.
  parent_external_id text,
  sku text,
  raw_payload_json jsonb NOT NULL,
  -- sha256 of the canonical raw payload: an unchanged payload is never rewritten.
  payload_hash text NOT NULL,
  -- The record's own date_modified_gmt, as WooCommerce reported it.
  date_modified_gmt timestamp,
  mapped_payload_json jsonb,
  status varchar(20) NOT NULL,
  -- A list of {field, code, message}; empty unless status = failed.
  mapping_errors jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  CONSTRAINT external_product_unique UNIQUE (connector_id, external_id),
  CONSTRAINT external_product_status_known CHECK (status IN ('pending', 'mapped', 'failed'))
);

CREATE TABLE external_order (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  connector_id uuid NOT NULL REFERENCES external_connector(id) ON DELETE CASCADE,
  external_id text NOT NULL,
  raw_payload_json jsonb NOT NULL,
  payload_hash text NOT NULL,
  date_modified_gmt timestamp,
  mapped_payload_json jsonb,
  status varchar(20) NOT NULL,
  mapping_errors jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- True when the order failed only because a product or user it needs is missing:
  -- the next sync maps it again even if WooCommerce did not change it.
  awaiting_dependency boolean NOT NULL DEFAULT false,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  CONSTRAINT external_order_unique UNIQUE (connector_id, external_id),
  CONSTRAINT external_order_status_known CHECK (status IN ('pending', 'mapped', 'failed'))
);

CREATE INDEX external_product_connector_idx
  ON external_product (connector_id);

CREATE INDEX external_order_connector_idx
  ON external_order (connector_id);

CREATE INDEX external_product_pending_idx
  ON external_product (connector_id, status) WHERE status <> 'mapped';

CREATE INDEX external_order_pending_idx
  ON external_order (connector_id, status) WHERE status <> 'mapped';

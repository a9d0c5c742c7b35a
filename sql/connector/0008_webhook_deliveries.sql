-- Webhooks: a connector's signing secret and the deliveries its shop pushed.
--
-- The secret is a Fernet token like the API secret (external_credential); the receiver
-- decrypts it to check signatures, nothing returns it. Rejected deliveries (bad or missing
-- signature) are only counted here: nothing of what an unauthenticated sender posted is
-- stored.
CREATE TABLE external_webhook (
  connector_id uuid PRIMARY KEY REFERENCES external_connector(id) ON DELETE CASCADE,
  encrypted_secret text NOT NULL,
  rejected_count bigint NOT NULL DEFAULT 0,
  last_rejected_at timestamp,
  created_at timestamp NOT NULL DEFAULT now(),
  rotated_at timestamp NOT NULL DEFAULT now()
);

-- One row per delivery WooCommerce made, stored before the receiver answers 200. The
-- delivery id is unique per connector: a repeated delivery is acknowledged and changes
-- nothing. The body is kept as the bytes that were signed, so a body that is not JSON is
-- recorded as failed with its reason instead of being lost.
--
-- status: pending (to apply), processing (claimed by a processor pass), waiting (an order
-- whose products are not known yet, retried from not_before), applied (its record is
-- stored and mapped), stale (older than the stored record: never overwrites it),
-- failed (a precise error in `error`).
CREATE TABLE external_webhook_delivery (
  id bigserial PRIMARY KEY,
  connector_id uuid NOT NULL REFERENCES external_connector(id) ON DELETE CASCADE,
  delivery_id varchar(64) NOT NULL,
  webhook_id varchar(20),
  topic varchar(40) NOT NULL,
  body bytea NOT NULL,
  status varchar(12) NOT NULL DEFAULT 'pending',
  error text,
  attempts integer NOT NULL DEFAULT 0,
  -- How many times a pass applied it: 0 or 1, anything above is a bug the bench counts.
  applied_count integer NOT NULL DEFAULT 0,
  received_at timestamp NOT NULL DEFAULT clock_timestamp(),
  not_before timestamp NOT NULL DEFAULT clock_timestamp(),
  applied_at timestamp,
  CONSTRAINT external_webhook_delivery_once UNIQUE (connector_id, delivery_id),
  CONSTRAINT external_webhook_delivery_status_known
    CHECK (status IN ('pending', 'processing', 'waiting', 'applied', 'stale', 'failed'))
);

-- What a processor pass claims: the few rows still to do, in arrival order.
CREATE INDEX external_webhook_delivery_todo_idx
  ON external_webhook_delivery (connector_id, id)
  WHERE status IN ('pending', 'processing', 'waiting');

-- `webhooks status`: the last delivery of a connector.
CREATE INDEX external_webhook_delivery_received_idx
  ON external_webhook_delivery (connector_id, received_at DESC);

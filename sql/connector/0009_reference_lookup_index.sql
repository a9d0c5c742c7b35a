-- References are looked up two ways: by (source, entity_type, external_id), the unique
-- index, for every batch a sync maps; and by the goldsphere row they point at.
--
-- The second index led with entity_type, so it could serve a lookup by entity_type alone.
-- With statistics taken after a products sync (no order references yet), PostgreSQL
-- costed the walk over every 'order' reference through it as cheap as the unique probe and
-- chose it for each id of each batch: a first orders sync grew quadratic. Led by
-- internal_id, it serves only what it is for.
DROP INDEX IF EXISTS external_reference_internal_idx;
CREATE INDEX external_reference_internal_idx ON external_reference (internal_id, entity_type);

"""Pure mapping of WooCommerce payloads into goldsphere entities.

No database, HTTP or Dagster here: the pipeline passes in lookups built from the
database, compiled rules, and raw payloads; it gets back mapped entities or every error
of a record. The rule language and the default templates are documented in the README.
"""

from goldsphere_pipelines.mapping.errors import MappingError
from goldsphere_pipelines.mapping.line_products import GoneProducts
from goldsphere_pipelines.mapping.lookups import OrderLookups, ProductLookups
from goldsphere_pipelines.mapping.normalize import normalize_email, normalize_name
from goldsphere_pipelines.mapping.orders import (
    MappedOrder,
    MappedOrderItem,
    OrderMappingResult,
    map_order,
    order_fields_read,
)
from goldsphere_pipelines.mapping.products import MappedProduct, ProductMappingResult, map_product
from goldsphere_pipelines.mapping.rules import (
    CompiledMapping,
    InvalidRuleError,
    ReferenceNames,
    RuleSpec,
    compile_rules,
    default_template,
    parse_rule,
    validate_rule,
)
from goldsphere_pipelines.mapping.targets import EntityType

__all__ = [
    "CompiledMapping",
    "EntityType",
    "GoneProducts",
    "InvalidRuleError",
    "MappedOrder",
    "MappedOrderItem",
    "MappedProduct",
    "MappingError",
    "OrderLookups",
    "OrderMappingResult",
    "ProductLookups",
    "ProductMappingResult",
    "ReferenceNames",
    "RuleSpec",
    "compile_rules",
    "default_template",
    "map_order",
    "map_product",
    "normalize_email",
    "normalize_name",
    "order_fields_read",
    "parse_rule",
    "validate_rule",
]

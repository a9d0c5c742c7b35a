"""WordPress REST errors: `{"code", "message", "data": {"status"}}` with WooCommerce's codes."""

from __future__ import annotations

from typing import Any


class RestError(Exception):
    """An error the store answers with, exactly as WordPress would encode it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        params: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.params = params
        self.details = details

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status}
        if self.params is not None:
            data["params"] = self.params
        if self.details is not None:
            data["details"] = self.details
        return {"code": self.code, "message": self.message, "data": data}


def no_route() -> RestError:
    return RestError(
        404, "rest_no_route", "No route was found matching the URL and request method."
    )


def invalid_id(post_type: str) -> RestError:
    """WooCommerce names the code after the post type: `woocommerce_rest_product_invalid_id`."""
    return RestError(404, f"woocommerce_rest_{post_type}_invalid_id", "Invalid ID.")


def cannot_list() -> RestError:
    """What an unauthenticated request gets: WooCommerce saw no valid key at all."""
    return RestError(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")


def cannot_view() -> RestError:
    return RestError(401, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.")


def cannot_edit() -> RestError:
    return RestError(
        401, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."
    )


def already_trashed(post_type: str) -> RestError:
    return RestError(
        410, "woocommerce_rest_already_trashed", f"The {post_type} has already been deleted."
    )


def trash_not_supported(post_type: str) -> RestError:
    return RestError(
        501, "woocommerce_rest_trash_not_supported", f"The {post_type} does not support trashing."
    )


def authentication_error(message: str) -> RestError:
    return RestError(401, "woocommerce_rest_authentication_error", message)


def invalid_params(problems: dict[str, tuple[str, str]]) -> RestError:
    """400 `rest_invalid_param` naming every bad parameter, as WordPress collects them."""
    return RestError(
        400,
        "rest_invalid_param",
        f"Invalid parameter(s): {', '.join(problems)}",
        params={name: message for name, (_code, message) in problems.items()},
        details={
            name: {"code": code, "message": message, "data": None}
            for name, (code, message) in problems.items()
        },
    )

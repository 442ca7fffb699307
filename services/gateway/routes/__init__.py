"""The public API's routes by area, each an ``APIRouter`` under ``/api/v1``; ``create_app`` includes them
in this order (the order of the OpenAPI document)."""

"""OpenAI's model list: the one model this server serves, under its id.

    GET  /v1/models         {"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}
    GET  /v1/models/{id}    that model, or a 404 naming the id that exists

The `model` field of a completion or chat request is accepted whatever it says (there is one
model to answer with) and answered with this id.
"""

from __future__ import annotations

from fastapi import APIRouter

from .http_errors import ApiError
from .openai_common import Served


def models_router(served: Served) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["openai"])

    def model_card() -> dict:
        return {"id": served.model_id, "object": "model", "created": served.created,
                "owned_by": "next-token-prediction"}

    @router.get("/models")
    async def list_models() -> dict:
        return {"object": "list", "data": [model_card()]}

    @router.get("/models/{name:path}")
    async def get_model(name: str) -> dict:
        if name != served.model_id:
            raise ApiError(404, f"the model '{name}' does not exist; this server serves '{served.model_id}'",
                           "model", type="not_found_error", code="model_not_found")
        return model_card()

    return router

"""``GET /admin/cluster``: the cluster's nodes, their hunts, lease ages and load (cluster mode).

A node answers from its own view of the lease bucket (docs/cluster.md); a server that is not a
cluster node answers 404 ``not_found``.
"""

from __future__ import annotations

from quart import Blueprint, Response

from ..protocol import NotFound
from ._admin import require_admin
from ._context import ApiContext
from ._http import json_response

__all__ = ["cluster_blueprint"]


def cluster_blueprint(ctx: ApiContext) -> Blueprint:
    blueprint = Blueprint("cluster", __name__)

    @blueprint.get("/admin/cluster")
    async def cluster() -> Response:
        require_admin(ctx)
        status = ctx.engine.cluster_status()
        if status is None:
            raise NotFound("this server is not a cluster node (hunt serve --cluster URL --node NAME)")
        return json_response(status)

    return blueprint

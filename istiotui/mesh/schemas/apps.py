"""`apps/v1` Deployment."""

from __future__ import annotations

from istiotui.mesh.schemas.build import Schema, boolean, int_or_string, integer, obj, string
from istiotui.mesh.schemas.meta import conditions, label_selector, object_meta, typed
from istiotui.mesh.schemas.pod import pod_template


def deployment() -> Schema:
    spec = obj(
        {
            "replicas": integer(minimum=0),
            "selector": label_selector(),
            "template": pod_template(),
            "strategy": obj(
                {
                    "type": string(enum=("Recreate", "RollingUpdate")),
                    "rollingUpdate": obj(
                        {"maxUnavailable": int_or_string(), "maxSurge": int_or_string()}
                    ),
                }
            ),
            "minReadySeconds": integer(minimum=0),
            "revisionHistoryLimit": integer(minimum=0),
            "paused": boolean(),
            "progressDeadlineSeconds": integer(minimum=0),
        },
        required=("selector", "template"),
    )
    status = obj(
        {
            "observedGeneration": integer("int64"),
            "replicas": integer(),
            "updatedReplicas": integer(),
            "readyReplicas": integer(),
            "availableReplicas": integer(),
            "unavailableReplicas": integer(),
            "terminatingReplicas": integer(),
            "conditions": conditions(),
            "collisionCount": integer(),
        }
    )
    return typed(object_meta(), spec, status)

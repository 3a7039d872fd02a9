"""Operations the fake refuses on purpose, in Stream's error shape.

Campaigns, segments and team usage statistics belong to Stream's paid
engagement and analytics products; their results depend on data the fake does
not model (delivery pipelines, a usage warehouse). The fake answers each of
their routes with code 17 (HTTP 403) saying so, so a backend meets a clean,
documented refusal instead of an unknown-route 404.

UNCONFIRMED: how live Stream refuses an app without these features.
"""

from __future__ import annotations

from typing import Any

from .. import texts
from ..call import Call
from ..errors import not_allowed

CAMPAIGNS = "campaigns"
SEGMENTS = "segments"
TEAM_USAGE = "team usage statistics"


def _refuse(feature: str) -> Any:
    def refuse(_call: Call) -> dict[str, Any]:
        raise not_allowed(texts.FEATURE_NOT_AVAILABLE.format(feature=feature))

    refuse.__doc__ = f"Refuse {feature}: {texts.FEATURE_NOT_AVAILABLE.format(feature=feature)}."
    return refuse


refuse_campaigns = _refuse(CAMPAIGNS)
refuse_segments = _refuse(SEGMENTS)
refuse_team_usage = _refuse(TEAM_USAGE)

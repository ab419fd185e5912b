"""Parameter types shared by the routers, so that one rule holds wherever a kind of value is read.

Row ids are the tables' 32-bit `INTEGER` keys and offsets 64-bit integers: a larger value
(`offset=9223372036854775808`, or an id past 2^31 on PostgreSQL) used to reach the driver and fail there
(a 500, and a reset connection); these types refuse it as a 422 naming the parameter, and document the
range in OpenAPI.
"""

from __future__ import annotations

from typing import Annotated, Final

import annotated_types
from fastapi import Query

INT64_MAX: Final = 2**63 - 1
INT32_MAX: Final = 2**31 - 1

#: A row id in a path or query (facility, report, import batch, key): the range of an INTEGER key.
DbInt = Annotated[int, annotated_types.Interval(ge=-INT32_MAX - 1, le=INT32_MAX)]
#: `offset` of the list endpoints.
Offset = Annotated[int, Query(ge=0, le=INT64_MAX, description="rows to skip (paging)")]
#: `page` of the console's tables (page × page size stays a 64-bit offset).
ConsolePage = Annotated[int, Query(ge=1, le=10**9, description="page number, from 1")]

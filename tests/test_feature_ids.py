"""The id lists behind filtered OGC pages: pages are slices after `after`, and the cache keeps to its bytes."""

from __future__ import annotations

from geo_service.services.feature_ids import IdLists


def test_pages_are_slices_after_the_last_id() -> None:
    ids = IdLists(max_bytes=1 << 20).put("q", 7, [2, 3, 5, 8, 13, 21])
    assert ids.page(None, 0, 4) == ([2, 3, 5, 8], True)
    assert ids.page(8, 0, 4) == ([13, 21], False)
    assert ids.page(4, 1, 2) == ([8, 13], True)  # after 4 (between ids), then skip one
    assert ids.page(21, 0, 10) == ([], False)
    assert ids.page(None, 6, 1) == ([], False)
    assert ids.page(None, 0, 6) == ([2, 3, 5, 8, 13, 21], False)


def test_least_recently_used_lists_leave_first_and_a_list_over_budget_is_not_kept() -> None:
    lists = IdLists(max_bytes=8 * 10)  # ten ids
    lists.put("a", 1, range(4))
    lists.put("b", 1, range(4))
    assert lists.get("a") is not None  # now the most recently used
    lists.put("c", 1, range(4))  # 12 ids > 10: the least recently used (b) goes
    assert lists.get("b") is None and lists.get("a") is not None and lists.get("c") is not None
    big = lists.put("d", 2, range(11))
    assert list(big.ids) == list(range(11)) and lists.get("d") is None and lists.get("a") is not None
    lists.put("a", 3, [1])  # replaced, not added twice
    found = lists.get("a")
    assert found is not None and found.revision == 3 and list(found.ids) == [1]
    lists.drop("a")
    assert lists.get("a") is None

"""Maximal covering location (MCLP) with existing facilities locked in.

Existing facilities are fixed, so the demand they already cover is removed first; what is left is
an MCLP over the uncovered demand: choose `count` candidates maximising the demand within the radius.
Two solvers share one input (`CoverageProblem`):
- `greedy`: lazy greedy (CELF) from several starts (each of the best few candidates forced first),
  each followed by 1-for-1 swaps while any improves coverage (Teitz–Bart, all candidates evaluated at
  once by a sparse matrix product); the best start wins. Coverage is submodular, so value + the
  `count` largest remaining gains bounds the optimum; that bound is reported as the gap.
- `exact`: the MCLP integer programme solved by CBC through spopt, with a time limit.

Both take a time budget. The greedy always finishes its first start (a complete, feasible answer in a
fraction of the budget) and then starts, and swaps, only while time is left; `Solution.cut_short` says
that the budget ended the search, and the bound still holds, so the reported gap stays honest.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class CoverageProblem:
    """Uncovered demand (weights) and, per candidate, the indices of the demand it would cover."""

    weights: FloatArray
    covers: list[NDArray[np.intp]]

    @classmethod
    def build(
        cls, demand_xy: FloatArray, weights: FloatArray, candidates_xy: FloatArray, radius_m: float
    ) -> CoverageProblem:
        """Demand points and candidates in metres; only positive-weight demand is kept."""
        keep = weights > 0
        demand_xy, weights = demand_xy[keep], weights[keep]
        if not len(demand_xy) or not len(candidates_xy):
            return cls(weights, [np.empty(0, np.intp) for _ in range(len(candidates_xy))])
        tree = cKDTree(demand_xy)
        covers = [np.asarray(ix, dtype=np.intp) for ix in tree.query_ball_point(candidates_xy, r=radius_m)]
        return cls(weights, covers)

    def matrix(self) -> csr_matrix:
        """Candidates × demand incidence (1 where the candidate covers the demand point)."""
        rows = np.repeat(np.arange(len(self.covers)), [len(ix) for ix in self.covers])
        cols = np.concatenate(self.covers) if self.covers else np.empty(0, np.intp)
        return csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(self.covers), len(self.weights)))

    def value(self, chosen: list[int]) -> float:
        """Total weight covered by a set of candidates."""
        if not chosen:
            return 0.0
        return float(self.weights[np.unique(np.concatenate([self.covers[j] for j in chosen]))].sum())


@dataclass(frozen=True)
class Solution:
    chosen: list[int]  # candidate indices, in greedy order of marginal gain
    gains: list[float]  # marginal demand of each, in the same order
    value: float
    upper_bound: float | None  # proven bound on the optimum, when known
    solver: str
    seconds: float
    cut_short: bool = False  # the time budget ended the search before it converged

    @property
    def gap(self) -> float | None:
        """Relative distance to the bound (0 = proven optimal)."""
        if self.upper_bound is None or self.upper_bound <= 0:
            return None
        return max(0.0, (self.upper_bound - self.value) / self.upper_bound)


def greedy(
    problem: CoverageProblem,
    count: int,
    starts: int = 8,
    max_swap_passes: int = 10,
    budget_s: float | None = None,
) -> Solution:
    """Multi-start lazy greedy improved by swaps; sites are listed in greedy order of their marginal gain.

    With `budget_s`, later starts and swap passes run only while the budget lasts (the first start's
    greedy always completes)."""
    started = time.perf_counter()
    deadline = None if budget_s is None else started + budget_s
    initial = np.array([problem.weights[ix].sum() for ix in problem.covers])
    firsts = [int(j) for j in np.argsort(-initial, kind="stable")[:starts]]
    runs: list[list[int]] = []
    cut_short = False
    for first in firsts:
        if runs and _past(deadline):
            cut_short = True
            break
        chosen, converged = _swap(problem, _lazy_greedy(problem, count, first), max_swap_passes, deadline)
        runs.append(chosen)
        cut_short = cut_short or not converged
    chosen = max(runs or [[]], key=problem.value)
    order, gains = _order_by_gain(problem, chosen)
    value = problem.value(chosen)
    bound = _submodular_bound(problem, chosen, count)
    return Solution(order, gains, value, bound, "greedy", time.perf_counter() - started, cut_short)


def _submodular_bound(problem: CoverageProblem, chosen: list[int], count: int) -> float:
    """An upper bound on the optimum from any set of sites: coverage is submodular, so no `count` sites
    cover more than the set's value plus the `count` largest marginal gains with respect to it."""
    covered = np.zeros(len(problem.weights), dtype=bool)
    for j in chosen:
        covered[problem.covers[j]] = True
    remaining = sorted((float(problem.weights[ix[~covered[ix]]].sum()) for ix in problem.covers), reverse=True)
    return float(problem.weights[covered].sum()) + sum(remaining[:count])


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() >= deadline


def _lazy_greedy(problem: CoverageProblem, count: int, first: int) -> list[int]:
    """CELF from a forced first pick: re-evaluate only the candidate on top of the heap (gains never grow)."""
    covered = np.zeros(len(problem.weights), dtype=bool)
    covered[problem.covers[first]] = True
    heap = [(-float(problem.weights[ix[~covered[ix]]].sum()), j) for j, ix in enumerate(problem.covers) if j != first]
    heapq.heapify(heap)
    chosen: list[int] = [first]
    while heap and len(chosen) < count:
        _, j = heapq.heappop(heap)
        gain = float(problem.weights[problem.covers[j][~covered[problem.covers[j]]]].sum())
        if heap and gain < -heap[0][0]:
            heapq.heappush(heap, (-gain, j))  # stale: put back with its current gain
            continue
        if gain <= 0:
            break
        chosen.append(j)
        covered[problem.covers[j]] = True
    return chosen


def _swap(
    problem: CoverageProblem, chosen: list[int], max_passes: int, deadline: float | None = None
) -> tuple[list[int], bool]:
    """Replace a chosen site by an unchosen candidate while that raises coverage (best swap per site);
    also whether the swaps converged (False when the deadline stopped them)."""
    if not chosen or len(chosen) == len(problem.covers):
        return chosen, True
    matrix = problem.matrix()
    weights = problem.weights
    chosen = list(chosen)
    for _ in range(max_passes):
        improved = False
        for slot in range(len(chosen)):
            if _past(deadline):
                return chosen, False
            counts = np.asarray(matrix[chosen].sum(axis=0)).ravel()
            site = problem.covers[chosen[slot]]
            loss = float(weights[site[counts[site] == 1]].sum())
            open_after = counts == 0
            open_after[site[counts[site] == 1]] = True
            gains = matrix @ (weights * open_after)
            gains[chosen] = -np.inf
            best = int(np.argmax(gains))
            if gains[best] > loss + 1e-9:
                chosen[slot], improved = best, True
        if not improved:
            break
    return chosen, True


def exact(problem: CoverageProblem, count: int, time_limit_s: float = 60.0) -> Solution:
    """The MCLP optimum (spopt + CBC). When the time limit stops CBC with a feasible incumbent, that
    incumbent is returned `cut_short`, with the submodular bound as its gap; without one, ValueError."""
    import pulp
    from spopt.locate import MCLP

    started = time.perf_counter()
    n_demand, n_candidates = len(problem.weights), len(problem.covers)
    cost = np.full((n_demand, n_candidates), 2.0)
    for j, ix in enumerate(problem.covers):
        cost[ix, j] = 0.0
    model = MCLP.from_cost_matrix(cost, problem.weights, service_radius=1.0, p_facilities=min(count, n_candidates))
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s), results=False)
    solution_status = model.problem.sol_status
    if solution_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        raise ValueError(f"CBC stopped without a solution ({pulp.LpSolution[solution_status]})")
    chosen = [j for j in range(n_candidates) if (model.fac_vars[j].value() or 0) > 0.5]
    ordered = _order_by_gain(problem, chosen)
    value = problem.value(chosen)
    if solution_status == pulp.LpSolutionOptimal:
        return Solution(ordered[0], ordered[1], value, value, "exact", time.perf_counter() - started)
    bound = _submodular_bound(problem, chosen, count)
    return Solution(ordered[0], ordered[1], value, bound, "exact", time.perf_counter() - started, cut_short=True)


def _order_by_gain(problem: CoverageProblem, chosen: list[int]) -> tuple[list[int], list[float]]:
    """Present an exact solution greedily ordered, so each site's marginal gain reads like greedy's."""
    left, order, gains = set(chosen), [], []
    covered = np.zeros(len(problem.weights), dtype=bool)
    while left:
        j = max(left, key=lambda c: (float(problem.weights[problem.covers[c][~covered[problem.covers[c]]]].sum()), -c))
        ix = problem.covers[j]
        gains.append(float(problem.weights[ix[~covered[ix]]].sum()))
        covered[ix] = True
        order.append(j)
        left.remove(j)
    return order, gains

from hypothesis import given
from hypothesis import strategies as st

from tools.batches import split_in_runs


def test_fifty_letters_on_two_processes_make_two_runs_of_25():
    runs = split_in_runs(list(range(50)), processes=2, min_per_run=10, max_per_run=50)
    assert [len(run) for run in runs] == [25, 25]


def test_a_small_batch_stays_in_one_run():
    assert split_in_runs([1, 2, 3], processes=4, min_per_run=10, max_per_run=50) == [[1, 2, 3]]


def test_a_large_batch_is_cut_below_the_maximum_even_on_one_process():
    runs = split_in_runs(list(range(120)), processes=1, min_per_run=10, max_per_run=50)
    assert [len(run) for run in runs] == [40, 40, 40]


def test_runs_are_balanced():
    runs = split_in_runs(list(range(10)), processes=4, min_per_run=1, max_per_run=50)
    assert [len(run) for run in runs] == [3, 3, 2, 2]


def test_nothing_to_split():
    assert split_in_runs([], processes=2, min_per_run=10, max_per_run=50) == []


@given(
    ids=st.lists(st.integers(), unique=True, max_size=400),
    processes=st.integers(1, 8),
    min_per_run=st.integers(1, 20),
    max_per_run=st.integers(20, 100),
)
def test_runs_keep_every_id_in_order_within_bounds(ids, processes, min_per_run, max_per_run):
    runs = split_in_runs(ids, processes, min_per_run, max_per_run)
    assert [item for run in runs for item in run] == ids
    assert all(0 < len(run) <= max_per_run for run in runs)
    if ids:
        sizes = [len(run) for run in runs]
        assert max(sizes) - min(sizes) <= 1
        # One run per process at most, unless the maximum size asks for more.
        assert len(runs) <= max(processes, -(-len(ids) // max_per_run))
        # Several runs below the maximum only when each gets its minimum.
        if len(runs) > 1 and len(ids) <= max_per_run:
            assert min(sizes) >= min_per_run

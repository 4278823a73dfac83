"""examples/lcm_second_minimum.py: the parallel schedule changes nothing but
the wall time."""
import importlib

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def example():
    # Imported by name from examples/ so that spawned worker processes can import it too.
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO / "examples"))
        yield importlib.import_module("lcm_second_minimum")


def test_makespan_is_longest_first_list_scheduling(example):
    assert example.makespan([3.0, 3.0, 2.0, 2.0, 2.0], 2) == 7.0
    assert example.makespan([5.0, 1.0, 1.0], 2) == 5.0
    assert example.makespan([1.0, 2.0], 1) == 3.0


def test_results_do_not_depend_on_the_number_of_processes(example):
    argv = ["--models", "sum", "graphrep-lcm", "--steps", "20", "--batch-size", "16", "--test-sets", "50", "-q"]
    sequential = example.main(argv + ["--jobs", "1"])
    parallel = example.main(argv + ["--jobs", "2"])
    assert parallel["config"]["jobs"] == 2
    assert [run["model"] for run in parallel["runs"]] == ["sum", "graphrep-lcm"]
    assert [run["accuracy"] for run in sequential["runs"]] == [run["accuracy"] for run in parallel["runs"]]
    assert [run["final_loss"] for run in sequential["runs"]] == [run["final_loss"] for run in parallel["runs"]]

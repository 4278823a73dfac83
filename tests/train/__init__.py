"""Tests of the training loops, their distributed mode and the example trainers."""

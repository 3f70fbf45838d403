"""Regression tests for the soundness bugs of issue 7, one module per numbered item.

Each test asserts the *correct* behaviour. A test that fails on the code the
issue was filed against carries ``xfail(strict=True, reason="issue 7 item N: ...")``:
the suite stays green until the fix lands, then the test XPASSes, which strict
mode turns into a failure, and whoever fixed the bug removes the marker.
"""

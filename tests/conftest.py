"""Suite-wide test configuration: the Hypothesis profiles.

``ci`` (loaded when ``$CI`` or ``$NETVERIFY_CI`` is set; ``.ci/run`` sets the
latter) derandomizes every property-based test: each run of a given checkout
tries the same examples, so a CI failure reproduces by rerunning it and a
green run cannot turn red by chance. Without an example database, nothing a
previous run found leaks into the next one. ``print_blob`` prints the
``@reproduce_failure`` line of a failure.

``dev`` (the default) keeps Hypothesis random, so local runs keep exploring
new examples, and remembers failures in ``.hypothesis/``.

Neither profile changes how many examples a test runs (the tests set that,
scaled by ``$NETVERIFY_HYPOTHESIS_SCALE``), so both take the same time.
Choose one explicitly with ``pytest --hypothesis-profile=ci``.
"""

from __future__ import annotations

import os

from hypothesis import settings

# Every test loads its input afresh (and never writes to the user's cache): the tests of the
# model cache turn it on in a directory of their own.
os.environ["NETVERIFY_NO_CACHE"] = "1"

settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None, database=None)
settings.register_profile("dev", print_blob=True, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") or os.environ.get("NETVERIFY_CI") else "dev")

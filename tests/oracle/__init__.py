"""The brute-force oracle of issue 7: every proof netverify gives, judged by enumerating flows through the engine."""

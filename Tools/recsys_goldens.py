#!/usr/bin/env python3
"""Prints the reference values hard-coded in the RecSys and Support tests.

- Student t / incomplete beta / paired t-test values (Tests/RecSysTests/EvaluationTests.swift),
  from scipy (run with a Python that has scipy, e.g. the system python3: scipy 1.17.1 was used).
- SplitMix64's first outputs for seed 0 and SHA-256 NIST vectors (Tests/SupportTests/),
  from a direct transcription of the generator and hashlib.
"""
import hashlib

from scipy import special, stats

for t, df in [(2.0, 10), (0.5, 3), (-3.2, 30), (1.0, 1), (5.0, 200), (0.1, 8316)]:
    print(f"two-sided p  t={t} df={df}: {2 * stats.t.sf(abs(t), df)!r}")
print("t.cdf(1.5, 7.5) =", repr(stats.t.cdf(1.5, 7.5)), " t.cdf(-0.7, 4) =", repr(stats.t.cdf(-0.7, 4)))
print("betainc(2.5, 0.5, 0.3) =", repr(special.betainc(2.5, 0.5, 0.3)))
print("betainc(10, 3, 0.9) =", repr(special.betainc(10, 3, 0.9)))
print("betainc(0.5, 0.5, 0.999) =", repr(special.betainc(0.5, 0.5, 0.999)))
a = [0.1, 0.5, 0.3, 0.9, 0.0, 0.2, 0.7]
b = [0.0, 0.4, 0.35, 0.6, 0.1, 0.1, 0.5]
r = stats.ttest_rel(a, b)
print("ttest_rel: t =", repr(r.statistic), " p =", repr(r.pvalue))

M = (1 << 64) - 1
state = 0
out = []
for _ in range(3):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    out.append(hex(z ^ (z >> 31)))
print("SplitMix64(seed 0):", out)
for msg in [b"", b"abc", b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", b"a" * 1_000_000]:
    print("sha256", msg[:10], len(msg), hashlib.sha256(msg).hexdigest())

#!/usr/bin/env python3
"""Reference stream of TensorCore's SeededGenerator (SplitMix64 seeding, xoshiro256**).

Prints the values pinned in Tests/TensorCoreTests/TensorTests.swift
(testSeededGeneratorMatchesIndependentImplementation), computed independently of the Swift
code from the published algorithms (Blackman & Vigna, https://prng.di.unimi.it/):
the first five next() values for seed 42, nextFloat() (top 24 bits · 2^-24) for the following
three, and nextInt(below: 10) (Lemire's method) for the three after that.
"""
MASK = (1 << 64) - 1


def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro:
    def __init__(self, seed):
        x = seed
        self.s = []
        for _ in range(4):
            x, value = splitmix(x)
            self.s.append(value)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def next_int(self, bound):
        product = self.next() * bound
        if product & MASK < bound:
            threshold = ((1 << 64) - bound) % bound
            while product & MASK < threshold:
                product = self.next() * bound
        return product >> 64


g = Xoshiro(42)
print("next:", [g.next() for _ in range(5)])
print("nextFloat:", [repr((g.next() >> 40) / 16777216.0) for _ in range(3)])
print("nextInt(below: 10):", [g.next_int(10) for _ in range(3)])

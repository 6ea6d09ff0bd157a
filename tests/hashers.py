"""Argon2id at a test cost: the same algorithm and format as production, a millisecond a hash.

Production's Argon2 costs a third of a second per hash on these machines, and the suite creates
users by the hundred. The parameters are the hasher's own attributes, so a hash made here is
still an `argon2$argon2id$...` hash that production would verify (and re-hash at its cost).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 64
    parallelism = 1

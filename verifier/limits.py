"""Bounds on what an untrusted claim file can ask for, with the reason for each.

A claim file may come from anyone (think of an autograder over student files),
so every size it controls is capped before any algebra runs.
"""

MAX_EXPRESSION_CHARS = 4000   # longest expression text; the notes' longest lines are ~300 chars
MAX_NODES = 1500              # tree nodes in one expression; keeps sympy construction small
MAX_CLAIM_NODES = 10000       # nodes of all of a file's expressions together: bounds the cost of loading a file
MAX_DEPTH = 100               # nesting depth (a sum of n terms nests n deep); our recursion stays far below Python's limit
MAX_CONSTANT_EXPONENT = 64    # |p| for a constant exponent; 2**2**2**2**2 must not become a 20k-digit number
MAX_CONSTANT_BITS = 4096      # numerator/denominator of any folded constant, checked before it is computed
MAX_INTEGER_LITERAL = 10**15  # integer literals; larger ones are almost surely a typo or an attack
MAX_LITERAL_DIM = 64          # a literal dimension such as vector(3); the symbolic back end builds every entry
MAX_ENTRIES = 4096            # entries of one symbolic array at a concrete shape
MAX_SYMBOLS = 100             # [symbols] entries in one file
MAX_LETS = 100                # [let] entries in one file
MAX_STEPS = 60                # steps of one derivation chain
MAX_INDEX_CASES = 256         # concrete assignments of index / one-hot symbols tried at one shape
MAX_KINK_SWITCHES = 8         # distinct kinks (Max, Abs, Heaviside...) whose branches are enumerated
MAX_FILE_BYTES = 256 * 1024   # a claim file larger than this is refused (at most this + 1 bytes are read)
MAX_TOML_DEPTH = 32           # nested arrays / inline tables; tomllib recurses once per level
WORKER_MEMORY_BYTES = 4 * 1024**3  # address-space cap of a worker process

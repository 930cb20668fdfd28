"""The solver: turns an op graph into results, reusing cached ones, running independent
branches in parallel and each op at most once per build."""

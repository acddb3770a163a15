"""Grading runs in the background of its host: a job's processes get a small share of the CPU
whenever anything else wants it (the grading service, its database, a shell), and every core
when nothing does. On a host where the server and the workers share cores, a deadline burst of
uploads is then answered at once, while the queue still drains at the full speed of the idle
cores. Relative weights, not caps (the caps are JobLimits.cpus): nothing is slowed on an idle host.

Each sandbox applies them its own way: the local one by nice and its job cgroup's weight, Docker
by the container's cpu_shares (relative to the other containers).
"""
from __future__ import annotations

JOB_NICE = 10  # added to the grader's niceness: about a tenth of the CPU of a nice-0 process
JOB_CPU_SHARES = 64  # cgroup v1 cpu.shares and Docker's cpu_shares; an ordinary process or group has 1024
JOB_CPU_WEIGHT = 6  # cgroup v2 cpu.weight; the default is 100

#!/usr/bin/env python3
"""Writes a native kvtwin trace of the shared-prefix workload llm-d's precise prefix-cache benchmark uses:
G groups ("customers"), each with its own system prompt of S tokens, U users per group, each request one
user question of Q fresh tokens after its group's prompt. Arrivals are Poisson at RATE req/s, groups and
users drawn uniformly; deterministic from --seed. Usage:
  gen-shared-prefix.py OUT.jsonl --groups 150 --users 5 --system 6000 --question 1200 --output 1000 \
                       --rate 4 --requests 2000 --seed 1
"""
import argparse
import json
import random

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--groups", type=int, default=150)
p.add_argument("--users", type=int, default=5)
p.add_argument("--system", type=int, default=6000)
p.add_argument("--question", type=int, default=1200)
p.add_argument("--output", type=int, default=1000)
p.add_argument("--rate", type=float, default=4.0)
p.add_argument("--requests", type=int, default=2000)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
rng = random.Random(a.seed)
t = 0.0
with open(a.out, "w") as f:
    f.write(json.dumps({"kvtwin_native": 1, "block_tokens": 16, "generator": "gen-shared-prefix.py"}) + "\n")
    for i in range(a.requests):
        t += rng.expovariate(a.rate)
        g = rng.randrange(a.groups)
        # each request is a session of one turn: its question is its own, the group's prompt is shared
        line = {"session": i, "turn": 0, "last": True, "arrival_s": round(t, 6),
                "input_tokens": a.system + a.question, "output_tokens": a.output,
                "prefix": [{"stream": "g%d" % g, "tokens": a.system}]}
        f.write(json.dumps(line) + "\n")

#!/usr/bin/env python3
"""Writes a native kvtwin trace of the shared-prefix workload llm-d's precise prefix-cache benchmark uses
(inference-perf's `shared_prefix` data): G groups ("customers"), each with its own system prompt of S
tokens; each request is its group's prompt followed by a question of Q tokens. With --prompts-per-group P
every group has P fixed questions and a request draws one of the G x P prompts uniformly, as
inference-perf does (a prompt sent again is a full-prompt cache hit); with P = 0 every question is fresh.
Arrivals are Poisson at RATE req/s for --requests requests, or along --stages "RATE:SECONDS,..." (a load
ladder, one Poisson stage after another). Deterministic from --seed. Usage:
  gen-shared-prefix.py OUT.jsonl --groups 150 --prompts-per-group 5 --system 6000 --question 1200 \
                       --output 1000 --stages 15:50,3:20,10:20 --seed 1
"""
import argparse
import json
import random

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--groups", type=int, default=150)
p.add_argument("--users", type=int, default=5, help="unused; kept for old command lines")
p.add_argument("--prompts-per-group", type=int, default=0,
               help="fixed questions per group, drawn uniformly (inference-perf num_prompts_per_group); 0 = fresh")
p.add_argument("--system", type=int, default=6000)
p.add_argument("--question", type=int, default=1200)
p.add_argument("--output", type=int, default=1000)
p.add_argument("--rate", type=float, default=4.0)
p.add_argument("--requests", type=int, default=2000)
p.add_argument("--stages", default="", help="RATE:SECONDS,... Poisson stages in order (replaces --rate/--requests)")
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
rng = random.Random(a.seed)


def arrivals():
    t = 0.0
    if not a.stages:
        for _ in range(a.requests):
            t += rng.expovariate(a.rate)
            yield t
        return
    start = 0.0
    for st in a.stages.split(","):
        rate, dur = (float(x) for x in st.split(":"))
        end = start + dur
        t = start
        while True:
            t += rng.expovariate(rate)
            if t >= end:
                break
            yield t
        start = end


with open(a.out, "w") as f:
    f.write(json.dumps({"kvtwin_native": 1, "block_tokens": 16, "generator": "gen-shared-prefix.py"}) + "\n")
    for i, t in enumerate(arrivals()):
        g = rng.randrange(a.groups)
        prefix = [{"stream": "g%d" % g, "tokens": a.system}]
        if a.prompts_per_group > 0:
            # one of the group's fixed questions: the whole prompt repeats
            prefix.append({"stream": "g%d-q%d" % (g, rng.randrange(a.prompts_per_group)), "tokens": a.question})
        # each request is a session of one turn; what the prefix runs do not name is its own
        line = {"session": i, "turn": 0, "last": True, "arrival_s": round(t, 6),
                "input_tokens": a.system + a.question, "output_tokens": a.output, "prefix": prefix}
        f.write(json.dumps(line) + "\n")

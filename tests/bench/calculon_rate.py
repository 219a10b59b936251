#!/usr/bin/python3
"""Calculon's evaluation rate on the points of an astrasweep spec.

Runs Calculon (https://github.com/calculon-ai/calculon, a Python LLM
performance model) on the same points as `astrasweep run` and reports how
many it evaluates per CPU-second (time.process_time), for the comparison of
tests/bench/run_calculon_compare. Nothing here fetches or installs Calculon:
check it out by hand into a folder and pass that
folder as --calculon DIR or $CALCULON_DIR. It needs psutil and pandas
(Debian: python3-psutil python3-pandas), which Calculon's package imports.

  tests/bench/calculon_rate.py --calculon /tmp/calculon \
      --spec tests/data/sweeps/gpt1t-3072-search.yaml --astrasweep build/astrasweep
  tests/bench/calculon_rate.py --points points.jsonl      # `astrasweep expand --format jsonl`

Each point (a row of `astrasweep expand --format jsonl`) becomes one
Llm.Execution of Calculon's megatron-1T model (models/megatron-1T.json) on
its DGX A100 system (systems/a100_80g.json):

  tensor_par, pipeline_par, data_par   parallelism.tp, pp, dp
  batch_size                           training.global_batch (3072)
  microbatch_size                      training.micro_batch
  pipeline_interleaving                training.virtual_stages
  activation_recompute                 training.recompute: full -> full,
                                       selective -> attn_only, none -> none
  optimizer_sharding                   training.zero_stage == 1
  tensor_par_comm_type                 training.sequence_parallel: true -> rs_ag
                                       (sequence parallelism), false -> ar
  data_par_overlap                     training.dp_overlap
  datatype                             float16
  tensor/pipeline/data_par_net         fixed: tp, pp, dp in that order, each on
                                       the first tier it still fits whole (see
                                       tiers()): the fastest of the assignments
                                       Calculon's search tries on every feasible
                                       point of the 1T space (--check-nets)
  fused_activation True, attention_type multihead, tensor_par_overlap none,
  seq_par_ag_redo False, no weight/activation/optimizer offload, training True.

The timed loop is the body of Calculon's own search per point
(OptimalExecution.search): build the execution from its JSON, Llm(app,
logger), compile, run, get_stats_json, keep the best sample rate; an
Llm.Error is a refused (infeasible) point and is logged at debug on the root
logger, as Calculon does. The logger is at INFO as Calculon's CLI sets it
(--logger info, the default); --logger search passes a fresh
logging.Logger('sub') per point as OptimalExecution.search does, whose
level is NOTSET, so every debug record of compile and run is built (and
then dropped).

--check-nets N also runs, untimed, every network assignment Calculon's
search would try on N points spread over the space and counts how often the
fixed one is the fastest. --dump FILE writes each point's Calculon result
(index, status, total_time, sample_rate, peak memory) as jsonl.
"""

import argparse
import json
import logging
import os
import subprocess
import sys
import time


def die(msg):
  sys.stderr.write(f'calculon_rate.py: {msg}\n')
  sys.exit(2)


def load_calculon(path):
  if not path:
    die('no Calculon checkout: pass --calculon DIR or set CALCULON_DIR. '
        'Calculon (github.com/calculon-ai/calculon) must be checked out by '
        'hand into a folder; it needs python3-psutil and python3-pandas. '
        'This benchmark never fetches or installs it.')
  if not os.path.isfile(os.path.join(path, 'calculon', 'llm', 'llm.py')):
    die(f'{path} is not a Calculon checkout (no calculon/llm/llm.py). '
        'Calculon must be installed by hand; see the header of this script.')
  sys.path.insert(0, os.path.abspath(path))
  try:
    import calculon  # pylint: disable=import-outside-toplevel
    from calculon.llm import Llm  # pylint: disable=import-outside-toplevel
  except ImportError as ex:
    die(f'importing Calculon from {path} failed: {ex} (Calculon imports '
        'psutil and pandas: apt-get install python3-psutil python3-pandas)')
  return calculon, Llm


def read_points(args):
  if args.points:
    with open(args.points, encoding='utf-8') as fd:
      lines = fd.readlines()
  else:
    cmd = [args.astrasweep, 'expand', args.spec, '--format', 'jsonl']
    try:
      out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as ex:
      die(f'{" ".join(cmd)} failed: {ex}')
    lines = out.stdout.splitlines()
  points = [json.loads(line) for line in lines if line.strip()]
  if args.limit:
    points = points[:args.limit]
  if not points:
    die('no points')
  return points


# The spec's base (tests/data/sweeps/gpt1t-3072-search.yaml) for a key a
# row does not carry (the jsonl lists only swept and derived keys).
BASE = {
  'training.global_batch': 3072, 'training.micro_batch': 1,
  'training.recompute': 'full', 'training.sequence_parallel': True,
  'training.zero_stage': 1, 'training.dp_overlap': False,
  'training.virtual_stages': 1, 'parallelism.tp': 4, 'parallelism.pp': 64,
  'parallelism.dp': 12, 'parallelism.cp': 1,
}
RECOMPUTE = {'full': 'full', 'selective': 'attn_only', 'none': 'none'}


def boolean(v):
  if isinstance(v, bool):
    return v
  if v in ('true', 'false'):
    return v == 'true'
  raise ValueError(f'not a boolean: {v!r}')


def tiers(syst, dims):
  """Network tier of each of (tp, pp, dp), the one Calculon's search picks on
  this space: in that order, each dimension on the first tier where it still
  fits whole (Calculon cannot split one over two tiers): the tier's size not
  exceeded, and divided when the tier must be filled (NVLink's 8 GPUs). A
  dimension of 1 is on tier 0, as in Calculon's search. On the DGX A100
  system: tp <= 8 on NVLink, pp too when it fits beside tp (tp * pp <= 8, or
  pp <= 8 when tp > 8 is on InfiniBand), dp on InfiniBand."""
  used = [1] * syst.num_networks
  out = []
  for n in dims:
    if n == 1:
      out.append(0)
      continue
    tier = 0
    while tier < syst.num_networks - 1:
      net = syst.get_network(tier)
      size = used[tier] * n
      if size <= net.size and (not net.must_be_filled or net.size % size == 0):
        break
      tier += 1
    used[tier] *= n
    out.append(tier)
  return out


def execution_json(point, syst, num_procs):
  def get(key):
    return point.get(key, BASE[key])
  tp, pp, dp = (int(get(k)) for k in
                ('parallelism.tp', 'parallelism.pp', 'parallelism.dp'))
  if int(get('parallelism.cp')) != 1:
    raise ValueError('Calculon has no context parallelism')
  tn, pn, dn = tiers(syst, (tp, pp, dp))
  return {
    'num_procs': tp * pp * dp if num_procs is None else num_procs,
    'tensor_par': tp,
    'pipeline_par': pp,
    'data_par': dp,
    'tensor_par_net': tn,
    'pipeline_par_net': pn,
    'data_par_net': dn,
    'batch_size': int(get('training.global_batch')),
    'microbatch_size': int(get('training.micro_batch')),
    'datatype': 'float16',
    'fused_activation': True,
    'attention_type': 'multihead',
    'activation_recompute': RECOMPUTE[get('training.recompute')],
    'pipeline_interleaving': int(get('training.virtual_stages')),
    'optimizer_sharding': int(get('training.zero_stage')) == 1,
    'tensor_par_comm_type':
      'rs_ag' if boolean(get('training.sequence_parallel')) else 'ar',
    'tensor_par_overlap': 'none',
    'seq_par_ag_redo': False,
    'data_par_overlap': boolean(get('training.dp_overlap')),
    'weight_offload': False,
    'activations_offload': False,
    'optimizer_offload': False,
    'training': True,
  }


def update_list(current, candidate, quantity):
  # OptimalExecution.update_list, top-1.
  current.append(candidate)
  current.sort(reverse=True, key=lambda x: x[0])
  return current[:quantity]


def evaluate(Llm, app, syst, exes, logger_mode, keep):
  """The timed loop: OptimalExecution.search's body per point."""
  root = logging.getLogger()
  best = []
  good = bad = 0
  results = [] if keep else None
  level = logging.INFO if logger_mode == 'info' else logging.NOTSET
  start_cpu = time.process_time()
  start_wall = time.perf_counter()
  for exe_json in exes:
    try:
      logger = logging.Logger('sub', level)
      model = Llm(app, logger)
      model.compile(syst, Llm.Execution.from_json(exe_json))
      model.run(syst)
      stats = model.get_stats_json(False)
      good += 1
      curr = (stats['sample_rate'], exe_json, stats)
      best = update_list(best, curr, 1)
      if keep:
        results.append(stats)
    except Llm.Error as ex:
      root.debug(f'JSON:{exe_json}\nERROR:{ex}\n')
      bad += 1
      if keep:
        results.append(str(ex))
  cpu = time.process_time() - start_cpu
  wall = time.perf_counter() - start_wall
  return cpu, wall, good, bad, best, results


def run_one(Llm, app, syst, exe_json):
  try:
    model = Llm(app, logging.Logger('sub', logging.INFO))
    model.compile(syst, Llm.Execution.from_json(exe_json))
    model.run(syst)
    return model.get_stats_json(False)
  except Llm.Error:
    return None


def check_nets(Llm, app, syst, exes, count):
  """Every (tn, pn, dn) Calculon's search tries on `count` points spread over
  the space: how often the fixed assignment is the fastest (ties count)."""
  step = max(1, len(exes) // count)
  sample = exes[::step][:count]
  agree = tried = 0
  worst = (1.0, None)
  nets = range(syst.num_networks)
  for exe in sample:
    fixed = run_one(Llm, app, syst, exe)
    best = None
    for tn in (nets if exe['tensor_par'] > 1 else [0]):
      for pn in (nets if exe['pipeline_par'] > 1 else [0]):
        for dn in (nets if exe['data_par'] > 1 else [0]):
          alt = dict(exe, tensor_par_net=tn, pipeline_par_net=pn,
                     data_par_net=dn)
          stats = run_one(Llm, app, syst, alt)
          if stats and (best is None or
                        stats['sample_rate'] > best[0]['sample_rate']):
            best = (stats, (tn, pn, dn))
    if best is None:
      continue  # infeasible whatever the networks
    tried += 1
    if fixed and fixed['sample_rate'] >= best[0]['sample_rate'] * (1 - 1e-9):
      agree += 1
    else:
      ratio = (fixed['sample_rate'] if fixed else 0) / best[0]['sample_rate']
      if ratio < worst[0]:
        worst = (ratio, (exe, best[1]))
  print(f'network check: the fixed tiers are the fastest of Calculon\'s '
        f'assignments on {agree} of {tried} feasible sampled points')
  if worst[1]:
    exe, nets_best = worst[1]
    print(f'  worst: tp {exe["tensor_par"]} pp {exe["pipeline_par"]} '
          f'dp {exe["data_par"]} fixed nets '
          f'{(exe["tensor_par_net"], exe["pipeline_par_net"], exe["data_par_net"])}'
          f' at {worst[0]:.3f} of the best {nets_best}')


def main():
  ap = argparse.ArgumentParser(
    description='Calculon points per CPU-second on an astrasweep spec\'s points',
    epilog='Calculon must be installed by hand; see the header of this file.')
  ap.add_argument('--calculon', default=os.environ.get('CALCULON_DIR'),
                  help='Calculon checkout (default: $CALCULON_DIR)')
  src = ap.add_mutually_exclusive_group(required=True)
  src.add_argument('--spec', help='sweep spec to expand with --astrasweep')
  src.add_argument('--points',
                   help='jsonl of `astrasweep expand --format jsonl`')
  ap.add_argument('--astrasweep', default='astrasweep',
                  help='astrasweep binary for --spec')
  ap.add_argument('--model', help='Calculon application JSON '
                  '(default: CALCULON/models/megatron-1T.json)')
  ap.add_argument('--system', help='Calculon system JSON '
                  '(default: CALCULON/systems/a100_80g.json)')
  ap.add_argument('--num-procs', type=int, default=None,
                  help='GPUs (default: tp * pp * dp of each point)')
  ap.add_argument('--logger', choices=['info', 'search'], default='info',
                  help='info: a logger at INFO, as Calculon\'s CLI sets it; '
                  'search: logging.Logger(\'sub\') at NOTSET per point, as '
                  'its OptimalExecution.search passes')
  ap.add_argument('--limit', type=int, default=0, help='first N points only')
  ap.add_argument('--repeat', type=int, default=1,
                  help='time the loop N times, report each and the min')
  ap.add_argument('--dump', help='write each point\'s result here (jsonl)')
  ap.add_argument('--check-nets', type=int, default=0, metavar='N',
                  help='also check the fixed network tiers on N points')
  args = ap.parse_args()

  calculon, Llm = load_calculon(args.calculon)
  # Calculon's CLI (bin/calculon): the root logger to stdout at INFO.
  root = logging.getLogger()
  root.addHandler(logging.StreamHandler(stream=sys.stdout))
  root.setLevel(logging.INFO)

  model = args.model or os.path.join(args.calculon, 'models', 'megatron-1T.json')
  system = args.system or os.path.join(args.calculon, 'systems', 'a100_80g.json')
  app = Llm.Application(calculon.io.read_json_file(model))
  syst = calculon.System(calculon.io.read_json_file(system))

  points = read_points(args)
  exes = [execution_json(p, syst, args.num_procs) for p in points]

  runs = []
  for _ in range(max(1, args.repeat)):
    runs.append(evaluate(Llm, app, syst, exes, args.logger, bool(args.dump)))
  cpu, wall, good, bad, best, results = min(runs, key=lambda r: r[0])

  n = len(exes)
  print(f'calculon: {n} points, {good} evaluated, {bad} refused (Llm.Error: '
        f'infeasible), logger {args.logger}')
  if len(runs) > 1:
    print('calculon: CPU seconds of each run: ' +
          ' '.join(f'{r[0]:.3f}' for r in runs))
  print(f'calculon: {cpu:.3f} CPU-s ({wall:.3f} s wall), '
        f'{n / cpu:.1f} points per CPU-second')
  if best:
    rate, exe, stats = best[0]
    print(f'calculon: best sample rate {rate:.3f}/s (step {stats["total_time"]:.3f} s)'
          f' at tp {exe["tensor_par"]} pp {exe["pipeline_par"]} '
          f'dp {exe["data_par"]} mb {exe["microbatch_size"]} '
          f'interleave {exe["pipeline_interleaving"]} '
          f'{exe["activation_recompute"]} {exe["tensor_par_comm_type"]}')
  print(f'RESULT points={n} good={good} refused={bad} cpu_s={cpu:.6f} '
        f'rate={n / cpu:.3f}')

  if args.dump:
    with open(args.dump, 'w', encoding='utf-8') as fd:
      for point, exe, res in zip(points, exes, results):
        row = {'index': point.get('index'),
               'nets': [exe['tensor_par_net'], exe['pipeline_par_net'],
                        exe['data_par_net']]}
        if isinstance(res, dict):
          row.update(status='ok', total_time=res['total_time'],
                     sample_rate=res['sample_rate'],
                     mem1_bytes=res['proc_mem_tier1_cap_req'])
        else:
          row.update(status='refused', error=res)
        fd.write(json.dumps(row) + '\n')

  if args.check_nets:
    check_nets(Llm, app, syst, exes, args.check_nets)
  return 0


if __name__ == '__main__':
  sys.exit(main())

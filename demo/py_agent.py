"""One Python agent of the demo (started by demo.ts with /usr/bin/python3).

Written the way the Python plan (seed/PLAN.md) writes it, so the demo shows
Node and Python agents sharing files: fcntl.flock on F.lock, yaml.safe_load,
yaml.dump(default_flow_style=False), temp file + os.replace. --mode unlocked
is the plan's "current state" code: read, modify, open(F, 'w') and dump.

Same loop, same torn-read rules and same REPORT line as demo/agent.ts.
"""
import argparse
import fcntl
import json
import os
import random
import signal
import sys
import time
from datetime import datetime, timezone

import yaml

QUEUE, STATUS, EVENTS = 'queue.yaml', 'status.yaml', 'events.log'
REPORT_TAG = 'REPORT '
GIVE_UP_AFTER = 2.0
STATUSES = {'pending', 'claimed', 'done'}


class Torn(Exception):
    pass


class GiveUp(Exception):
    pass


class NoChange(Exception):
    pass


def is_count(v):
    return type(v) is int and v >= 0


def check_queue(data, tasks, agents):
    # Mirrors checkQueue in demo/shared.ts: a cut-short write can still parse.
    if not isinstance(data, list) or len(data) != tasks:
        return None
    seen = set()
    for t in data:
        if not isinstance(t, dict) or set(t) != {'id', 'status', 'owner', 'attempts'}:
            return None
        if not is_count(t['id']) or not 1 <= t['id'] <= tasks or t['id'] in seen:
            return None
        if not isinstance(t['status'], str) or t['status'] not in STATUSES:
            return None
        if not is_count(t['attempts']):
            return None
        if t['owner'] is not None and not (isinstance(t['owner'], str) and t['owner'] in agents):
            return None
        seen.add(t['id'])
    return data


def check_status(data, agents):
    if not isinstance(data, dict) or len(data) != len(agents):
        return None
    if not all(is_count(data.get(a)) for a in agents):
        return None
    return data


class Agent:
    def __init__(self, args):
        self.dir = args.dir
        self.me = args.name
        self.locked = args.mode == 'locked'
        self.agents = args.agents.split(',')
        self.tasks = args.tasks
        self.deadline = args.deadline / 1000.0
        self.queue = os.path.join(self.dir, QUEUE)
        self.status = os.path.join(self.dir, STATUS)
        self.events = os.path.join(self.dir, EVENTS)
        self.report = dict(name=self.me, lang='python', attempted=0, claims=0, dones=0, bumps=0, events=0,
                           completed=[], torn=0, gaveUp=None, ms=0)

    # -- the plan's primitives ------------------------------------------------

    def _exclusive(self, path):
        # Blocking LOCK_EX instead of the plan's LOCK_NB + 100 ms sleep: under
        # the Node agents' kernel waiters a 100 ms poller would almost never
        # win. The protocol (flock on F.lock) is what makes them exclude
        # each other, and that is unchanged.
        fd = open(path + '.lock', 'a')
        fcntl.flock(fd.fileno(), fcntl.LOCK_EX)
        return fd

    def _rmw(self, path, check, fn):
        if not self.locked:
            return self._apply(path, check, fn, locked=False)
        with self._exclusive(path):  # closing the file releases the lock
            return self._apply(path, check, fn, locked=True)

    def _apply(self, path, check, fn, locked):
        try:
            with open(path) as f:
                raw = yaml.safe_load(f)
        except yaml.YAMLError:
            raise Torn()
        data = check(raw)
        if data is None:
            raise Torn()
        result = fn(data)
        if locked:
            temp_path = f'{path}.tmp.{os.getpid()}'
            with open(temp_path, 'w') as f:
                yaml.dump(data, f, default_flow_style=False)
            os.replace(temp_path, path)
        else:
            with open(path, 'w') as f:
                yaml.dump(data, f, default_flow_style=False)
        return result

    def update(self, path, check, fn):
        # Torn reads are counted and retried, never written back (see agent.ts).
        torn_since = None
        backoff = 0.001
        while True:
            try:
                return self._rmw(path, check, fn)
            except Torn:
                self.report['torn'] += 1
                torn_since = torn_since or time.monotonic()
                if time.monotonic() - torn_since > GIVE_UP_AFTER:
                    raise GiveUp(f'{os.path.basename(path)} stayed unreadable')
                time.sleep(backoff)
                backoff = min(backoff * 2, 0.05)

    def publish(self, task):
        line = json.dumps({'agent': self.me, 'event': 'task_done', 'task': task,
                           'at': datetime.now(timezone.utc).isoformat()}) + '\n'
        if self.locked:
            with self._exclusive(self.events):
                with open(self.events, 'a') as f:
                    f.write(line)
        else:
            with open(self.events, 'a') as f:
                f.write(line)

    # -- the loop -------------------------------------------------------------

    def claim(self):
        def take(tasks):
            for t in tasks:
                if t['status'] == 'pending':
                    t['status'], t['owner'] = 'claimed', self.me
                    t['attempts'] += 1
                    return t['id']
            raise NoChange()
        try:
            return self.update(self.queue, self._check_queue, take)
        except NoChange:
            return None

    def _check_queue(self, raw):
        return check_queue(raw, self.tasks, self.agents)

    def _check_status(self, raw):
        return check_status(raw, self.agents)

    def run(self):
        while time.time() < self.deadline:
            task = self.claim()
            if task is None:
                return
            self.report['attempted'] += 1
            self.report['claims'] += 1
            time.sleep(0.001 + random.random() * 0.004)

            def finish(tasks):
                next(t for t in tasks if t['id'] == task)['status'] = 'done'
            self.report['attempted'] += 1
            self.update(self.queue, self._check_queue, finish)
            self.report['dones'] += 1
            self.report['completed'].append(task)

            def bump(counts):
                counts[self.me] += 1
            self.report['attempted'] += 1
            self.update(self.status, self._check_status, bump)
            self.report['bumps'] += 1
            self.report['attempted'] += 1
            self.publish(task)
            self.report['events'] += 1
        self.report['gaveUp'] = 'deadline passed'


def main():
    # The parent cleans up; die quietly on Ctrl-C (the kernel drops our locks).
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: os._exit(130))
    p = argparse.ArgumentParser()
    p.add_argument('--dir', required=True)
    p.add_argument('--name', required=True)
    p.add_argument('--mode', choices=['locked', 'unlocked'], required=True)
    p.add_argument('--agents', required=True)
    p.add_argument('--tasks', type=int, required=True)
    p.add_argument('--deadline', type=float, default=(time.time() + 60) * 1000)
    agent = Agent(p.parse_args())
    print('ready', flush=True)
    if not sys.stdin.readline():
        sys.exit(1)
    t0 = time.monotonic()
    try:
        agent.run()
    except GiveUp as e:
        agent.report['gaveUp'] = str(e)
    agent.report['ms'] = round((time.monotonic() - t0) * 1000)
    print(REPORT_TAG + json.dumps(agent.report), flush=True)


if __name__ == '__main__':
    main()

import * as assert from 'node:assert/strict';
import { YamlDate, YamlDateTime, YamlFloat, dumpYaml, parseYaml } from '../../lib/yaml';
import { mismatch, oracle, skipWithoutPyYaml, toTagged, type Job, type Tagged } from './pyyaml-oracle';
import { mulberry32, randomValue } from './random-values';

describe('YAML: dumpYaml against PyYAML for JS-built values', function () {
  skipWithoutPyYaml();

  function assertSameAsPyYaml(values: unknown[]): void {
    const results = oracle(values.map((value) => ({ op: 'dump', value: toTagged(value) })));
    values.forEach((value, i) => {
      assert.ok(results[i].ok, results[i].error);
      assert.equal(dumpYaml(value), results[i].dump, `value #${i}`);
    });
  }

  it('anchors shared objects as &id001 / *id001 exactly where PyYAML does', () => {
    const shared = { name: 'worker-1', tags: ['a'] };
    const day = new YamlDate(2026, 2, 6);
    const list = [1, 2];
    const value = { z: shared, a: shared, days: [day, day], lists: { l1: list, l2: list, l3: [list] }, float: new YamlFloat(2) };
    assertSameAsPyYaml([value]);
    // PyYAML numbers anchors by second sighting in sorted-key order
    assert.match(dumpYaml(value), /^a: &id003\n[^]*^- &id001 2026-02-06\n- \*id001\n[^]*^z: \*id003\n/m);
  });

  it('writes cycles with anchors as PyYAML does, and reads them back as cycles', () => {
    const node: Record<string, unknown> = { name: 'loop' };
    node.self = node;
    const list: unknown[] = ['x'];
    list.push(list);
    assertSameAsPyYaml([node, list, { a: node, b: [node] }]);
    const back = parseYaml(dumpYaml(node)) as Record<string, unknown>;
    assert.equal(back.self, back);
  });

  it('keeps insertion order for keys Python cannot sort (mixed int/str), as PyYAML falls back to', () => {
    assertSameAsPyYaml([
      new Map<unknown, unknown>([['b', 1], [2, 'x'], ['a', 3]]),
      new Map<unknown, unknown>([[3, 'c'], [true, 'b'], [new YamlFloat(2.5), 'a'], [-1n, 'z']]),
      new Map<unknown, unknown>([[new YamlDate(2026, 1, 2), 1], [new YamlDate(2025, 1, 2), 2]]),
      new Map<unknown, unknown>([[null, 1]]),
      new Set(['b', 'a', 'c']),
    ]);
  });

  it('writes dates, datetimes (naive, UTC, offsets, microseconds) and buffers as PyYAML', () => {
    assertSameAsPyYaml([
      {
        day: new YamlDate(1, 1, 1),
        naive: new YamlDateTime(Date.UTC(2026, 1, 6, 10), { micros: 5 }),
        utc: new Date(Date.UTC(2026, 1, 6, 23, 59, 59, 999)),
        east: new YamlDateTime(Date.UTC(2026, 1, 6, 10), { utcOffsetMinutes: 345 }),
        west: new YamlDateTime(Date.UTC(2026, 1, 6, 10), { utcOffsetMinutes: -570 }),
        bytes: Buffer.from(Array.from({ length: 200 }, (_, i) => i)),
        empty: Buffer.alloc(0),
      },
    ]);
  });

  // YAML_FUZZ_VALUES raises the count for a longer local hunt.
  const valueCount = Number(process.env.YAML_FUZZ_VALUES ?? 400);

  it(`matches PyYAML on ${valueCount} random values (seeded), and both read the output back to the same value`, function () {
    const values = Array.from({ length: valueCount }, (_, i) => randomValue(mulberry32(1000 + i), 0));
    const dumps = values.map((v) => dumpYaml(v));
    const py = oracle([
      ...values.map((value): Job => ({ op: 'dump', value: toTagged(value) })),
      ...dumps.map((text): Job => ({ op: 'load', text })),
    ]);
    values.forEach((value, i) => {
      assert.ok(py[i].ok, py[i].error);
      assert.equal(dumps[i], py[i].dump, `random value #${i} (seed ${1000 + i})`);
      const reload = py[values.length + i];
      assert.ok(reload.ok, reload.error);
      const m = mismatch(value, reload.value as Tagged) ?? mismatch(parseYaml(dumps[i]), reload.value as Tagged);
      assert.equal(m, null, `random value #${i}: ${m}`);
    });
  });
});

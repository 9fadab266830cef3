import * as assert from 'node:assert/strict';
import { YamlDate, YamlDumpError, YamlFloat, dumpYaml, parseYaml } from '../../lib/yaml';

describe('YAML: writing PyYAML bytes', function () {
  it('writes sorted keys, unindented sequences under keys and [] / {} for empty collections', () => {
    assert.equal(dumpYaml({ b: [1, { d: [], c: {} }], a: 'x' }), 'a: x\nb:\n- 1\n- c: {}\n  d: []\n');
  });
  it('quotes strings that would read back as another type', () => {
    assert.equal(
      dumpYaml(['yes', '0755', '1:30', '123', 'null', '', '2026-02-06', '1e3', '<<', '=']),
      "- 'yes'\n- '0755'\n- '1:30'\n- '123'\n- 'null'\n- ''\n- '2026-02-06'\n- 1e3\n- '<<'\n- '='\n",
    );
  });
  it("writes '...' after a bare top-level plain scalar only", () => {
    assert.equal(dumpYaml('hello'), 'hello\n...\n');
    assert.equal(dumpYaml(null), 'null\n...\n');
    assert.equal(dumpYaml('yes'), "'yes'\n");
  });
  it('escapes non-ASCII in double quotes', () => assert.equal(dumpYaml('é😀'), '"\\xE9\\U0001F600"\n'));
  it('writes a safe-integer number as an int, and a YamlFloat or any other number as a float', () => {
    assert.equal(dumpYaml([1, new YamlFloat(1), 1e20, new YamlFloat(1e20), 0.1, -0, new YamlFloat(-0)]),
      '- 1\n- 1.0\n- 1.0e+20\n- 1.0e+20\n- 0.1\n- 0\n- -0.0\n');
  });
  it('writes a plain Date as an aware UTC datetime and a YamlDate as a date', () => {
    assert.equal(dumpYaml({ at: new Date('2026-02-06T10:00:00.250Z'), day: new YamlDate(2026, 2, 6) }),
      'at: 2026-02-06 10:00:00.250000+00:00\nday: 2026-02-06\n');
  });
  it('omits object properties that are undefined, as JSON does', () => assert.equal(dumpYaml({ a: 1, b: undefined }), 'a: 1\n'));

  it('refuses values PyYAML has no equivalent for, naming where they are', () => {
    assert.throws(() => dumpYaml({ a: { b: () => 1 } }), (e: unknown) => e instanceof YamlDumpError && e.path === 'a.b' && /cannot serialize a function at key 'a.b'/.test(e.message));
    assert.throws(() => dumpYaml({ s: Symbol('x') }), /cannot serialize a symbol \(Symbol\(x\)\) at key 's'/);
    assert.throws(() => dumpYaml({ tasks: [1, undefined] }), /cannot serialize undefined .* at key 'tasks\[1\]'/);
    assert.throws(() => dumpYaml(undefined), /at the top level/);
    assert.throws(() => dumpYaml({ re: /x/ }), /cannot serialize an instance of RegExp at key 're'/);
    assert.throws(() => dumpYaml(new Map<unknown, unknown>([[1, 'a'], [true, 'b']])), /same key in Python/);
    assert.throws(() => dumpYaml(new Map([[[1], 'a']])), /cannot use an instance of Array as a mapping key/);
    // eslint-disable-next-line no-sparse-arrays
    assert.throws(() => dumpYaml([1, , 3]), /sparse array at key '\[1\]'/);
  });

  it('round-trips an integral float, a bigint and a date through text without changing their type', () => {
    const v = parseYaml(dumpYaml({ ratio: new YamlFloat(1), big: 2n ** 64n, day: new YamlDate(2026, 2, 6) })) as Record<string, unknown>;
    assert.ok(v.ratio instanceof YamlFloat);
    assert.equal(v.big, 2n ** 64n);
    assert.ok(v.day instanceof YamlDate);
  });
});

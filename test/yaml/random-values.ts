/**
 * Seeded generators for the YAML fuzz tests: random JS values biased
 * towards what breaks emitters, and random edits of corpus documents.
 */
import { YamlDate, YamlDateTime, YamlFloat } from '../../lib/yaml';

const MUTATION_CHARS = [' ', ' ', '\n', '\t', ':', ': ', '-', '- ', '#', '"', "'", '[', ']', '{', '}', ',', '&a ', '*a', '!!', '? ', '|', '>', '%', '@', '`', '\\', '~', '0', '.', '<<: ', '\r\n', '\u2028', '\x85', 'é'];

/** A few random edits: insert a YAML-significant character, delete, duplicate or reindent a line. */
export function mutate(text: string, rnd: () => number): string {
  let s = text;
  const edits = 1 + Math.floor(rnd() * 3);
  for (let e = 0; e < edits; e++) {
    const pos = Math.floor(rnd() * (s.length + 1));
    const r = rnd();
    if (r < 0.45) s = s.slice(0, pos) + MUTATION_CHARS[Math.floor(rnd() * MUTATION_CHARS.length)] + s.slice(pos);
    else if (r < 0.7) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(rnd() * 3));
    else {
      const lines = s.split('\n');
      const at = Math.floor(rnd() * lines.length);
      if (r < 0.85) lines.splice(at, 0, lines[Math.floor(rnd() * lines.length)]);
      else lines[at] = rnd() < 0.5 ? `  ${lines[at]}` : lines[at].replace(/^ {1,2}/, '');
      s = lines.join('\n');
    }
  }
  return s;
}

// ---------------------------------------------------------------------------
// Seeded random values, biased towards what breaks emitters
// ---------------------------------------------------------------------------

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRAP_STRINGS = [
  'yes', 'No', 'on', 'OFF', 'y', 'null', '~', 'NULL', '', ' ', '0755', '0o17', '0x1F', '1_000', '1:30', '1:30.5', '1e3',
  '1.0e+3', '.inf', '-.Inf', '.NaN', '2026-02-06', '2026-02-06 10:00:00', '<<', '=', '-', '- a', '? x', ': y', '---', '...',
  '--- doc', '#', 'a #b', 'a# b', 'a: b', 'a:b', '[x]', '{y}', '*ref', '&anc', '!tag', '|', '>', "'", '"', '%', '@at',
  '`tick', ',', 'a,b', 'trail ', ' lead', 'tab\there', 'line\nbreak', 'ends\n', '\nstarts', 'sp \nbreak', 'br\n sp',
  '\u2028', 'nel\x85x', 'bom\ufeff', 'nul\0x', 'é', '😀', '\ud800', 'ｆｕｌｌ', '\uff01', 'x'.repeat(130),
];

const CHARSET = [
  ...'abcdefghijklmnopqrstuvwxyz', ...'ABCXYZ', ...'0123456789', ' ', ' ', ' ', ' ', ' ', ' ', '\n', '\n', '\t', ':', '#',
  '-', '?', ',', "'", '"', '\\', '[', ']', '{', '}', '&', '*', '!', '|', '>', '%', '@', '`', '.', 'é', '😀', '\u2028', '\x85',
  '\x07', '\x7f', '\ufeff', '\xa0', '中', '\r',
];

function randomString(rnd: () => number): string {
  const r = rnd();
  if (r < 0.25) return TRAP_STRINGS[Math.floor(rnd() * TRAP_STRINGS.length)];
  const length = r < 0.8 ? Math.floor(rnd() * 20) : Math.floor(rnd() * 260);
  let s = '';
  for (let i = 0; i < length; i++) s += CHARSET[Math.floor(rnd() * CHARSET.length)];
  return s;
}

function randomScalar(rnd: () => number): unknown {
  const r = rnd();
  if (r < 0.4) return randomString(rnd);
  if (r < 0.5) return Math.floor((rnd() - 0.5) * 2 ** (1 + Math.floor(rnd() * 52)));
  if (r < 0.55) return (rnd() < 0.5 ? -1n : 1n) * 2n ** BigInt(53 + Math.floor(rnd() * 80));
  if (r < 0.65) {
    const pick = rnd();
    if (pick < 0.1) return [Infinity, -Infinity, NaN][Math.floor(rnd() * 3)];
    // beyond 2^53 - 1 an integral float is a plain number, as parseYaml gives it
    const x = pick < 0.3 ? Math.floor((rnd() - 0.5) * 1e6) * 10 ** Math.floor(rnd() * 30) : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
    return Number.isSafeInteger(x) ? new YamlFloat(x) : x;
  }
  if (r < 0.7) return rnd() < 0.5;
  if (r < 0.75) return null;
  if (r < 0.8) return new YamlDate(1 + Math.floor(rnd() * 9998), 1 + Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28));
  if (r < 0.87) {
    const offset = rnd() < 0.4 ? null : Math.floor((rnd() - 0.5) * 2 * 1439);
    return new YamlDateTime(Math.floor(rnd() * 4e12), { micros: rnd() < 0.5 ? 0 : Math.floor(rnd() * 1000), utcOffsetMinutes: offset });
  }
  return Buffer.from(Array.from({ length: Math.floor(rnd() * 90) }, () => Math.floor(rnd() * 256)));
}

export function randomValue(rnd: () => number, depth: number, pool: object[] = []): unknown {
  const r = rnd();
  if (depth > 4 || r < 0.35) return randomScalar(rnd);
  if (pool.length && r < 0.42) return pool[Math.floor(rnd() * pool.length)];
  const size = Math.floor(rnd() * 6);
  if (r < 0.6) {
    const list: unknown[] = [];
    pool.push(list);
    for (let i = 0; i < size; i++) list.push(randomValue(rnd, depth + 1, pool));
    return list;
  }
  if (r < 0.85) {
    const obj: Record<string, unknown> = {};
    pool.push(obj);
    for (let i = 0; i < size; i++) obj[randomString(rnd)] = randomValue(rnd, depth + 1, pool);
    return obj;
  }
  if (r < 0.95) {
    // non-string keys of one sortable kind, or a mix PyYAML cannot sort
    const map = new Map<unknown, unknown>();
    const seen = new Set<string>();
    pool.push(map);
    const kind = Math.floor(rnd() * 4);
    for (let i = 0; i < size + 1; i++) {
      const key =
        kind === 0 ? Math.floor((rnd() - 0.5) * 1000)
          : kind === 1 ? new YamlDate(2000 + Math.floor(rnd() * 50), 1 + Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28))
            : kind === 2 ? (rnd() < 0.5 ? randomString(rnd) : Math.floor(rnd() * 100))
              : (rnd() - 0.5) * 100;
      const identity = key instanceof Date ? `d${key.getTime()}` : `${typeof key}${String(key)}`;
      if (seen.has(identity) || (typeof key === 'string' && seen.has(`number${key}`))) continue;
      seen.add(identity);
      map.set(key, randomValue(rnd, depth + 1, pool));
    }
    if (![...map.keys()].some((k) => typeof k !== 'string')) map.set(-1, null);
    return map;
  }
  const set = new Set<unknown>();
  for (let i = 0; i < size; i++) set.add(randomString(rnd));
  return set;
}

/**
 * A segment read through one fixed buffer gives the lines a split of the whole file gives,
 * wherever the buffer's edges fall (inside a line, a character, the head), and the place of
 * each line it did not decode, from which readLineAt reads it back.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLineAt, segmentLines } from '../../../engine/audit/segment-lines.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'homeostat-segment-lines-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MIB = 1024 * 1024;

async function all(path: string, wanted: (head: string) => boolean) {
  const lines = [];
  for await (const line of segmentLines(path, wanted)) lines.push(line);
  return lines;
}

describe('segmentLines', () => {
  it('decodes the wanted lines whole and only places the others, across the read buffer edges', async () => {
    // Lines longer than the buffer, one ending right at its edge, multi-byte characters cut by it.
    const texts = [
      '{"keep":1}',
      `{"skip":"${'x'.repeat(MIB + 5)}"}`,
      `{"keep":"${'é'.repeat(MIB)}"}`,
      '',
      `{"skip":"${'日本'.repeat(300_000)}"}`,
      `{"keep":"${'a'.repeat(3 * MIB - 200)}"}`,
      '{"keep":"last, without a newline"}',
    ];
    const path = join(dir, 'segment.jsonl');
    writeFileSync(path, texts.join('\n'));
    const lines = await all(path, (head) => !head.startsWith('{"skip"'));
    expect(lines.map((l) => l.number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(lines.map((l) => l.text)).toEqual(texts.map((t) => (t.startsWith('{"skip"') ? null : t)));
    const bytes = readFileSync(path);
    for (const [i, line] of lines.entries()) {
      // A character cut at the head's end reads as U+FFFD: the head is for matching a prefix.
      expect(texts[i]!.startsWith(line.head.replace(/\uFFFD$/, ''))).toBe(true);
      expect(Buffer.byteLength(line.head.replace(/\uFFFD$/, ''))).toBeGreaterThan(Math.min(line.bytes, 120) - 3);
      expect(bytes.toString('utf8', line.start, line.start + line.bytes)).toBe(texts[i]);
      expect(await readLineAt(path, line.start, line.bytes)).toBe(texts[i]);
    }
  });

  it('reads an empty file as no line, and a file ending in a newline without an empty last line', async () => {
    writeFileSync(join(dir, 'empty'), '');
    expect(await all(join(dir, 'empty'), () => true)).toEqual([]);
    writeFileSync(join(dir, 'two'), '{"a":1}\n{"b":2}\n');
    expect((await all(join(dir, 'two'), () => true)).map((l) => l.text)).toEqual(['{"a":1}', '{"b":2}']);
  });
});

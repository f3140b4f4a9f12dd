import { describe, expect, it } from 'vitest';
import { commitCommand, finish, printedId, rawDate, resetCommand } from '../../../engine/git/fast-import.js';

const who = { name: 'homeostat', email: 'homeostat@localhost', date: '1795000000 +0000' };

describe('fast-import streams', () => {
  it('counts data in bytes and lists the file operations in order', () => {
    const stream = commitCommand({
      ref: 'refs/heads/main',
      mark: 3,
      author: who,
      committer: who,
      message: 'é\n',
      from: 'refs/heads/main^0',
      files: [
        { op: 'write', path: 'a/b.json', content: '{"x":"ü"}\n' },
        { op: 'copy', path: 'c', sha: 'f'.repeat(40), mode: '100755' },
        { op: 'delete', path: 'd' },
      ],
    });
    expect(stream).toBe(
      'commit refs/heads/main\nmark :3\n' +
        'author homeostat <homeostat@localhost> 1795000000 +0000\n' +
        'committer homeostat <homeostat@localhost> 1795000000 +0000\n' +
        'data 3\né\n\nfrom refs/heads/main^0\n' +
        'M 100644 inline a/b.json\ndata 11\n{"x":"ü"}\n\n' +
        `M 100755 ${'f'.repeat(40)} c\n` +
        'D d\n\n',
    );
    expect(resetCommand('refs/x', 'abc')).toBe('reset refs/x\nfrom abc\n\n');
    expect(finish(3)).toBe('get-mark :3\ndone\n');
    expect(finish(null)).toBe('done\n');
  });

  it('keeps identities on their line and refuses paths it would have to quote', () => {
    const stream = commitCommand({ ref: 'refs/heads/main', mark: 1, author: { ...who, name: 'a <b>\nc' }, committer: who, message: '', files: [] });
    expect(stream).toContain('author a bc <homeostat@localhost>');
    for (const path of ['a\nb', '"a"', '/abs', '']) {
      expect(() => commitCommand({ ref: 'refs/heads/main', mark: 1, author: who, committer: who, message: '', files: [{ op: 'delete', path }] })).toThrow(/unsupported path/);
    }
    expect(() => commitCommand({ ref: 'refs/heads/main', mark: 1, author: { ...who, date: 'now' }, committer: who, message: '', files: [] })).toThrow(/raw git date/);
  });

  it('reads the id get-mark printed, and dates in git raw form', () => {
    expect(printedId(`${'a'.repeat(40)}\n`)).toBe('a'.repeat(40));
    expect(printedId('warning: x\n')).toBeNull();
    expect(rawDate(Date.UTC(2026, 10, 21, 10, 15, 0, 999))).toBe('1795256100 +0000');
  });
});

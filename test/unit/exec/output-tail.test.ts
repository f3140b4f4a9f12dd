// The output tail and redaction: bounded memory, and no piece of a secret left by the cut.
import { describe, expect, it } from 'vitest';
import { createOutputTail } from '../../../engine/exec/output-tail.js';
import { redact } from '../../../engine/exec/exec.js';

describe('createOutputTail', () => {
  it('keeps the last bytes across chunks, in order', () => {
    const tail = createOutputTail(8);
    for (const chunk of ['abc', 'defg', 'hijkl']) tail.push(Buffer.from(chunk));
    expect([tail.text([]), tail.truncated()]).toEqual(['efghijkl', true]);
  });

  it('keeps the end of a chunk larger than the cap', () => {
    const tail = createOutputTail(4);
    tail.push(Buffer.from('0123456789'));
    expect(tail.text([])).toBe('6789');
  });

  it('is not truncated when everything fits', () => {
    const tail = createOutputTail(10);
    tail.push(Buffer.from('12345'));
    tail.push(Buffer.from('67890'));
    expect([tail.text([]), tail.truncated()]).toEqual(['1234567890', false]);
  });

  it('masks the end of a secret that the cut kept', () => {
    const tail = createOutputTail(10);
    tail.push(Buffer.from('xx hunter2-password ok'));
    expect(tail.text(['hunter2-password'])).toBe('*** ok');
  });

  it('does not start inside a UTF-8 character', () => {
    const tail = createOutputTail(5);
    tail.push(Buffer.from('aéééb')); // é is two bytes
    expect(tail.text([])).toBe('ééb');
  });
});

describe('redact', () => {
  it('masks every occurrence, the longest secret first', () => {
    expect(redact('key=abc, key=abcdef, key=abc', ['abc', 'abcdef'])).toBe('key=***, key=***, key=***');
    expect(redact('nothing here', [''])).toBe('nothing here');
  });
});

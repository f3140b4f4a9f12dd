import { describe, expect, it } from 'vitest';
import { html, join } from '../../../engine/web/html.js';

describe('html', () => {
  it('escapes every value put in, in text and in attributes', () => {
    const label = `<script>alert(1)</script>" onmouseover='x' \`y\` &amp;`;
    expect(html`<td title="${label}">${label}</td>`.text).toBe(
      '<td title="&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&#39;x&#39; &#96;y&#96; &amp;amp;">&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&#39;x&#39; &#96;y&#96; &amp;amp;</td>',
    );
  });

  it('keeps markup it made itself, and writes nothing for null, undefined and false', () => {
    const cell = (v: string) => html`<td>${v}</td>`;
    expect(html`<tr>${['<a>', 'b'].map(cell)}${null}${undefined}${false}${0}</tr>`.text).toBe('<tr><td>&lt;a&gt;</td><td>b</td>0</tr>');
    expect(join(['<i>', html`<b>x</b>`]).text).toBe('&lt;i&gt;<b>x</b>');
  });

  it('does not take an object that only looks like markup', () => {
    const forged = { text: '<script>x</script>', toString: () => '<script>x</script>' };
    expect(html`${forged as unknown as string}`.text).toBe('&lt;script&gt;x&lt;/script&gt;');
  });
});

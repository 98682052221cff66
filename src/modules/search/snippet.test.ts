import { describe, expect, it } from 'vitest';
import { makeSnippet, stem } from './snippet';

describe('makeSnippet', () => {
  const text = `${'filler '.repeat(60)}the turbulent boundary layer thickens downstream of the shock ${'more '.repeat(60)}`;

  it('shows the part of the passage where the query words are, marked, with ellipses', () => {
    const s = makeSnippet(text, ['turbulence', 'boundary']);
    expect(s.html).toContain('<mark>turbulent</mark> <mark>boundary</mark> layer');
    expect(s.html.startsWith('… ')).toBe(true);
    expect(s.html.endsWith(' …')).toBe(true);
    expect(s.matched).toEqual(['turbulent', 'boundary']);
    expect(s.text).toContain('turbulent boundary layer');
  });

  it('escapes the passage: hostile text is shown, never run', () => {
    const s = makeSnippet('<script>alert("x")</script> & <b>invoice</b> total', ['invoice']);
    expect(s.html).not.toContain('<script>');
    expect(s.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(s.html).toContain('&lt;b&gt;<mark>invoice</mark>&lt;/b&gt;');
  });

  it('starts at the beginning when nothing matches', () => {
    const s = makeSnippet('alpha beta gamma', ['zeta']);
    expect(s.html).toBe('alpha beta gamma');
    expect(s.matched).toEqual([]);
  });

  it('stems common endings', () => {
    expect(stem('turbulence')).toBe(stem('turbulent'));
    expect(stem('layers')).toBe('layer');
    expect(stem('heating')).toBe('heat');
  });
});

import { describe, expect, it } from 'vitest';
import { createStringRenderer } from '../../src/render/engine.js';
import { UserError } from '../../src/kernel/errors.js';

describe('template engine', () => {
  const render = createStringRenderer();
  it('fails on a missing value instead of rendering an empty string', () => {
    expect(() => render('address={{site.address}}', { site: {} }, 't.hbs')).toThrow(/t\.hbs.*"address" not defined/);
    expect(() => render('\n{{xml missing}}', {}, 't.hbs')).toThrow(/t\.hbs: helper "xml" at line 2 got no value/);
  });
  it('does not HTML-escape', () => {
    expect(render('{{v}}', { v: `<a href="x">&'` })).toBe(`<a href="x">&'`);
  });
  it('escapes through the format helper named in the template', () => {
    expect(render('<e>{{xml v}}</e>', { v: 'a<b&c' })).toBe('<e>a&lt;b&amp;c</e>');
    expect(render('{{sql v}}', { v: "O'Brien" })).toBe("'O''Brien'");
    expect(render('{{sh v}}', { v: 'a b' })).toBe("'a b'");
  });
  it('turns a value a format cannot carry into a user error naming the template', () => {
    expect(() => render('k = {{ini v}}', { v: 'a %(b)s' }, 'plugin.cfg.hbs')).toThrow(UserError);
    expect(() => render('k = {{ini v}}', { v: 'a %(b)s' }, 'plugin.cfg.hbs')).toThrow(/plugin\.cfg\.hbs: ini value/);
  });
  it('keeps instances isolated', () => {
    const other = createStringRenderer();
    expect(other('{{join xs "-"}}', { xs: ['a', 'b'] })).toBe('a-b');
  });
});

// Pages are built from tagged templates: every interpolated value is escaped unless it is already markup, so that
// nothing a producer, a receiver or an operator wrote can run in the console.

/** Markup that is safe as it is: made by {@link html}, or trusted text given to {@link raw}. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return escapeHtml(JSON.stringify(value) ?? '');
}

/** A piece of markup: the template's text as it is, each value escaped (arrays joined; null, undefined, false empty). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(strings.reduce((text, part, index) => text + part + (index < values.length ? render(values[index]) : ''), ''));
}

/** Markup from text the console wrote itself. */
export function raw(text: string): Html {
  return new Html(text);
}

/**
 * RFC 4180 CSV: every field quoted when it holds a comma, quote, CR or LF (quotes doubled), CRLF
 * line ends. A field that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is
 * prefixed with a single quote: audit rows carry attacker-typed text such as failed log-in names.
 */
export function toCsv(columns: string[], rows: Array<Array<string | number | null>>): string {
  return [columns, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export function csvField(value: string | number | null): string {
  if (value === null) {
    return '';
  }
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) {
    text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

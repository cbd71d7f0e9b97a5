/**
 * A small RFC 4180 reader for the `csv` workload source (stream/workload/sources.ts). No CSV
 * parser is a dependency of fogsim, and the line splitter the trace files use (model/timeline.ts
 * csvCells) takes one line at a time, so a quoted field with a line break in it, which RFC 4180
 * allows, would be cut there; this reads the whole text: fields separated by commas, records by
 * CRLF or LF, a field in double quotes may hold commas, line breaks and "" for a quote.
 */

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    /** the line (from 1) where the record with the problem starts */
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

/** One record: its fields as written, and the line it starts on (from 1). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** Every record of `text`, blank lines left out; an unclosed quote or text after a closing quote is a CsvSyntaxError. */
export function parseCsv(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte order mark is not part of the first field
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new CsvSyntaxError(`line ${start}: a quoted field is not closed (a " is missing)`, start);
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw new CsvSyntaxError(`line ${line}: text after a closing quote; put the whole field in quotes and write a quote inside as ""`, start);
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      }
      fields.push(field);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    // the record's end: CRLF, LF (or a lone CR), or the end of the text
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    if (!(fields.length === 1 && fields[0] === '')) out.push({ fields, line: start });
  }
  return out;
}

/** A CSV field as a JSON value: a number when it reads as one (decimal, exponent), else the text as written. */
export function csvValue(field: string): string | number {
  const t = field.trim();
  if (t !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) {
    const v = Number(t);
    if (Number.isFinite(v)) return v;
  }
  return field;
}

// What reaches the terminal: text from servers (metadata, user codes, error descriptions, API
// bodies) never carries its escape sequences there. Every write of the CLI goes through here.

/**
 * C0 controls but tab and newline, DEL, C1 controls (0x9B is a CSI of its own), and the
 * Unicode controls that reorder or hide text (bidi overrides and isolates, zero-width marks,
 * line and paragraph separators).
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g

const hex = (c: string) => c.charCodeAt(0).toString(16).padStart(4, '0')

/** Human output: each control character shown escaped (`\x1b`, `\u202e`), so an escape sequence is visible text, never a command. */
export function terminalText(text: string): string {
  return text.replace(CONTROLS, (c) => (c.charCodeAt(0) < 0x100 ? `\\x${hex(c).slice(2)}` : `\\u${hex(c)}`))
}

/**
 * JSON output: `JSON.stringify` escapes C0 but not DEL, C1 or the Unicode controls; this
 * escapes them as `\uXXXX`, so the output is the same JSON value and safe on a terminal.
 * (Tab and newline never occur raw in `JSON.stringify`'s strings.)
 */
export function terminalJson(text: string): string {
  return text.replace(CONTROLS, (c) => (c === '\n' || c === '\t' ? c : `\\u${hex(c)}`))
}

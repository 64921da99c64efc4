/**
 * Text from the store (an object's name, anything an appender chose) made safe to print on one
 * line: control characters (newline included), DEL, C1 controls, line and paragraph separators
 * and bidirectional overrides become `\uXXXX`. A name with a newline would otherwise start a line
 * of its own in kfm's output — on GitHub Actions `::error::…` or `::stop-commands::…`, a workflow
 * command — and an escape sequence or a bidi override could hide or reorder what a terminal
 * shows. Names the ledger writes are plain ASCII, so they print unchanged.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

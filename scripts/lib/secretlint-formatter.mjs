/**
 * secretlint-formatter.mjs — the secrets scan's output: one line per finding naming the file,
 * line, column, rule and message id. Never the message: its data is the secret itself (secretlint's
 * own masking keeps the value's length and its surroundings), so no part of a finding's text is
 * printed. Under GitHub Actions each finding is also an error annotation on that line.
 *
 *   path/to/file:3:20: secret found (@secretlint/secretlint-rule-github GITHUB_TOKEN); value not shown
 */
import path from 'node:path';

/** Workflow-command property escaping (file names may hold `%`, `:` or `,`). */
const escapeProperty = (s) =>
  s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');

export default function format(results) {
  const annotate = process.env.GITHUB_ACTIONS === 'true';
  const lines = [];
  for (const result of results) {
    const file = path.relative(process.cwd(), result.filePath) || result.filePath;
    for (const m of result.messages) {
      const { line, column } = m.loc.start;
      const col = column + 1; // secretlint columns are 0-based
      const what = `${m.ruleId} ${m.messageId}`;
      lines.push(`${file}:${line}:${col}: secret found (${what}); value not shown`);
      if (annotate)
        lines.push(
          `::error file=${escapeProperty(file)},line=${line},col=${col}::secret found (${what}); value not shown`,
        );
    }
  }
  return lines.join('\n');
}

#!/usr/bin/env node
// write-bin.js — part of `npm run build`: writes dist/receipts/cli.js, the `kfm` bin.
// The CLI's code lives in cli/ (built to dist/cli/); dist/receipts/cli.js is the path that
// package.json's bin, the scripts, the workflows and users call, so it stays, as a two-line
// entry that runs dist/cli/main.js. Usage: node scripts/write-bin.js [--help]
'use strict';
const { chmodSync, mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
if (process.argv[2] === '--help') {
  process.stdout.write('usage: node scripts/write-bin.js  (writes dist/receipts/cli.js)\n');
  process.exit(0);
}
const out = join(__dirname, '..', 'dist', 'receipts', 'cli.js');
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, "#!/usr/bin/env node\n'use strict';\nrequire('../cli/main.js').run();\n");
chmodSync(out, 0o755);

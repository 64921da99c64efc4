/**
 * `@sigstore/mock` as a process of its own: the CLI runs as child processes that the test waits
 * for synchronously, so the services must not share the test's event loop. Prints one JSON line
 * {url, trustedRoot} when listening; exits when its stdin closes.
 * Usage: tsx sigstore-mock-server.ts [CA_CLOCK_OFFSET_MS]
 */
import { startMockSigstore } from './sigstore-mock';

const offset = Number(process.argv[2] ?? '0');
void startMockSigstore(offset ? { caClock: new Date(Date.now() + offset) } : {}).then((m) => {
  process.stdout.write(JSON.stringify({ url: m.url, trustedRoot: m.trustedRoot }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => void m.close().then(() => process.exit(0)));
});

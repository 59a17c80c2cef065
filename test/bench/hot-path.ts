// `bun run test/bench/hot-path.ts`: the metering hot path in one process, without HTTP: key
// lookups (identify, cached and not) and N requests admitted and settled through the settle queue
// (group commit), on a real SQLite file. Every call is awaited, so the script measures the
// asynchronous store interfaces as the services use them. Several rounds; the median and the
// spread (min–max) are printed, since the machine is shared and noisy.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../server/config';
import { createDeps } from '../../server/deps';
import { systemClock } from '../../server/lib/clock';
import { createLogger } from '../../server/lib/log';
import { prepareDatabase } from '../../server/server';
import { tempDir } from '../helpers/gateway';

const ROUNDS = Number(process.env.HOT_PATH_ROUNDS ?? 5);
const SETTLEMENTS = Number(process.env.HOT_PATH_SETTLEMENTS ?? 20_000);
const LOOKUPS = Number(process.env.HOT_PATH_LOOKUPS ?? 50_000);
/** requests in flight at once: what one event-loop turn gathers into one commit */
const CONCURRENT = Number(process.env.HOT_PATH_CONCURRENT ?? 50);

const dir = tempDir('tollgate-hot-path-');
const config = loadConfig({ TOLLGATE_LOG_LEVEL: 'error' }, { dataDir: dir });
const database = prepareDatabase(config);
const deps = await createDeps({ config, database, clock: systemClock, log: createLogger('error') });
await deps.catalog.seedDefaults();
const { metering, catalog } = deps;
const { key } = await metering.createKey({ planId: 'pro', budgetNano: 1e15, rpmOverride: 0, concurrencyOverride: 0, expiresDays: 0 });
const authorization = `Bearer ${key}`;
const model = (await catalog.resolveModel('deepseek-chat'))!;
const usage = { cacheHitTokens: 10, cacheMissTokens: 20, outputTokens: 30, reasoningTokens: 0 };
let sequence = 0;

async function oneRequest(): Promise<void> {
  const ctx = await metering.authenticate(authorization);
  const admission = await metering.admit(ctx, model, 200, 64, `req_bench_${++sequence}`);
  await metering.settle(admission, { protocol: 'chat', model, usage, basis: 'upstream', httpStatus: 200, finishReason: 'stop', stream: false, ttfbMs: 1, upstreamKeyId: null });
}

/** µs per settled request, CONCURRENT at a time */
async function settleRound(): Promise<number> {
  const started = performance.now();
  for (let done = 0; done < SETTLEMENTS; done += CONCURRENT) await Promise.all(Array.from({ length: CONCURRENT }, oneRequest));
  return ((performance.now() - started) * 1000) / SETTLEMENTS;
}

/** µs per identify; `cold` drops the key cache before each one (a database read every time) */
async function lookupRound(cold: boolean): Promise<number> {
  const n = cold ? LOOKUPS / 5 : LOOKUPS;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    if (cold) metering.dropKeyCache();
    await metering.identify(authorization);
  }
  return ((performance.now() - started) * 1000) / n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const line = (name: string, xs: number[]) =>
  `${name.padEnd(38)} median ${median(xs).toFixed(2).padStart(7)} µs   spread ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)} µs`;

await settleRound(); // warm-up: JIT, statement caches, the WAL file
const settle: number[] = [];
const warm: number[] = [];
const cold: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  settle.push(await settleRound());
  warm.push(await lookupRound(false));
  cold.push(await lookupRound(true));
}
await metering.settlementsDrained();
console.log(`hot path, ${ROUNDS} rounds (${SETTLEMENTS} settlements ${CONCURRENT} at a time, ${LOOKUPS} lookups)`);
console.log(line('authenticate + admit + settle', settle));
console.log(line('identify, key row cached', warm));
console.log(line('identify, key row read (cache dropped)', cold));
const ledgerRows = (database.sqlite.query('SELECT count(*) AS n FROM ledger').get() as { n: number }).n;
console.log(`ledger rows written: ${ledgerRows}`);
database.close();
rmSync(join(dir), { recursive: true, force: true });
process.exit(0);

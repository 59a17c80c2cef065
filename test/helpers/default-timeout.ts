import { plugin } from 'bun';

// Every test file starts with `setDefaultTimeout(30_000)`, added here as it loads (on its first line,
// so line numbers stay). Integration and browser tests start real servers and processes, which a
// loaded 2-core machine can slow far past Bun's default of 5 s per test. Bun 1.4 reads no
// `timeout` from bunfig.toml (Bun issue 7789), and a setDefaultTimeout() in a preload applies to
// the first test file only, so the call has to be in each file.
const TEST_TIMEOUT_MS = 30_000;

plugin({
  name: 'tollgate: default test timeout',
  setup(build) {
    build.onLoad({ filter: /\.test\.ts$/ }, async (args) => ({
      contents: `import { setDefaultTimeout as __setDefaultTimeout } from 'bun:test'; __setDefaultTimeout(${TEST_TIMEOUT_MS}); ${await Bun.file(args.path).text()}`,
      loader: 'ts',
    }));
  },
});

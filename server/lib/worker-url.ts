/**
 * Where a worker's code is. In a checkout it sits beside the module that starts it; in the
 * compiled binary every worker is an extra entrypoint, found by its path below `server/`.
 */
export function workerUrl(besideModule: URL, pathInServer: string): string {
  return Bun.isStandaloneExecutable ? `./${pathInServer}` : besideModule.href;
}

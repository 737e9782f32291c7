// Tests (and bench:flush) that change how hearth behaves through an environment variable (read per
// load or per request) set it for one call and put it back, even when the call fails.

/** Runs `fn` with the variable `name` set to `value`, then restores it (or removes it where unset). */
export async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

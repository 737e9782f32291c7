// The engines the runtime can host: the registry's, plus test-only engines.
//
// TEST-ONLY HOOK: HEARTH_TEST_ENGINES is a comma-separated list of absolute module paths, each
// default-exporting { descriptor: BackendDescriptor, create(): Promise<Backend> }. The runtime and its
// runner processes (which inherit the environment) add them after the registry's engines. Tests use
// it to host a real engine under a second name, so a fallback between two engines can be exercised
// on a CPU-only machine. Not for users: real engines register in src/backends/registry.ts.
import type { Backend, BackendDescriptor } from "../backends/types.ts";
import { backendDescriptors, loadBackend } from "../backends/registry.ts";
import { HearthError } from "../errors/HearthError.ts";
import { readEnv } from "../config/env.ts";
import { pathToFileURL } from "node:url";

interface TestEngine {
  descriptor: BackendDescriptor;
  create(): Promise<Backend>;
}

let testEngines: Promise<TestEngine[]> | undefined;

function loadTestEngines(): Promise<TestEngine[]> {
  const list = readEnv().test.engines;
  testEngines ??= Promise.all(list.map(async (p) => ((await import(pathToFileURL(p).href)) as { default: TestEngine }).default));
  return testEngines;
}

export async function engineDescriptors(): Promise<BackendDescriptor[]> {
  return [...backendDescriptors(), ...(await loadTestEngines()).map((e) => e.descriptor)];
}

const created = new Map<string, Promise<Backend>>();

export async function loadEngine(name: string): Promise<Backend> {
  if (backendDescriptors().some((d) => d.name === name)) return loadBackend(name);
  const extra = (await loadTestEngines()).find((e) => e.descriptor.name === name);
  if (!extra) return loadBackend(name); // throws the registry's "unknown backend" error
  let p = created.get(name);
  if (!p) {
    p = extra.create();
    created.set(name, p);
  }
  return p;
}

export function unavailable(backend: string, device: string, reason: string): HearthError {
  return new HearthError("backend_unavailable", `${backend} cannot use the ${device} here: ${reason}`, {
    hint:
      device === "cpu"
        ? "check the engine's installation (npm ci)"
        : "run `hearth devices` to see what this machine offers, or use --device cpu",
  });
}

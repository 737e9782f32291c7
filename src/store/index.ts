// The store's public surface: what the faces (CLI, server) and the SDK use.
export { pullModel, listRemoteQuants, type PullOptions, type PullEvent, type PullResult, type RemoteQuantInfo } from "./pull.ts";
export { listModels, type InstalledModel } from "./list.ts";
export { removeModel, type RemoveResult } from "./remove.ts";
export { cleanStore, type CleanResult } from "./clean.ts";
export { resolveName, type StoreResolveOptions } from "./resolveName.ts";
export { ALIASES, expandAlias, type Alias } from "./aliases.ts";
export { parseModelRef, type ModelRef } from "./names.ts";
export type { Manifest, ManifestFile, QuantEntry } from "./manifest.ts";

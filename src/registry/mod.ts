/**
 * The model registry: versions of each model under `models/registry/<model>/v<N>/`, the
 * index `models/registry.json` (versions, `production` / `staging` aliases, history), the
 * champion/challenger rule of registration, promote, rollback and diff.
 * @module
 */
export {
  type ModelKind,
  type ModelMetadata,
  PACKAGE_FILES,
  REGISTRY_INDEX,
  type RegistryIndex,
  registryPath,
} from "./package.ts";
export {
  championChallenger,
  type ChampionDecision,
  type ChampionEvidence,
  type ChampionRule,
  type StationDegradation,
} from "./champion.ts";
export {
  emptyIndex,
  type HistoryEntry,
  type ModelEntry,
  modelEntry,
  productionStack,
  resolveVersion,
  rollbackTarget,
  UnknownVersionError,
} from "./history.ts";
export {
  readRegistryIndex,
  readVersionMetadata,
  REGISTRY_LOCK,
  versionFolders,
  withRegistryLock,
  writeRegistryIndex,
} from "./store.ts";
export { type RegisterOptions, type RegisterResult, registerVersion } from "./register.ts";
export {
  type AliasChange,
  diffMetadata,
  type DiffRow,
  diffVersions,
  promoteVersion,
  rollbackProduction,
} from "./commands.ts";

// The run store's public surface: the database of data sets, saved models, runs and metrics.
export { WorkbenchStore, newId, END_STATUSES } from './workbench-store'
export type { Artifact, CreateRunInput, DatasetRef, EndStatus, RunEnd, RunningInfo, RunPatch } from './workbench-store'
export { MetricWriter, DEFAULT_FLUSH_INTERVAL_MS, DEFAULT_MAX_BUFFERED_ROWS } from './metric-writer'
export type { MetricWriterOptions } from './metric-writer'
export { StoreError } from './errors'
export type { StoreErrorCode } from './errors'
export { SCHEMA_VERSION } from './schema'
export { evenlySpacedIndices } from './downsample'

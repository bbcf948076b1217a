// The data layer's public face: the library of data sets, split loading for training, and the
// importers' error type.
export { DatasetLibrary, loadSplit, type LoadedSplit, type DatasetLibraryOptions } from './library'
export { DataImportError } from './errors'
export type { BuiltinInfo } from './builtins'
export { fingerprintTensors } from './tensor-store'

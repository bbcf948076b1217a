// A deep copy of JSON data that may sit behind Vue's reactive proxies (structuredClone refuses
// proxies), for handing specs and configs to the back end or another store.
import { toRaw } from 'vue'

export function plainCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(toRaw(value))) as T
}
